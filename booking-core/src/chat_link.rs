//! Linking a chat platform account to a user with a one-time code.

use crate::domain::User;
use crate::error::CoreError;
use crate::service::{Actor, BookingService};

impl BookingService {
    /// Redeem a one-time link `code` for the chat account `external_id` on
    /// `platform`: the code's user, now linked (audited as `chat.link`), or
    /// `None` when the code is unknown or expired.
    pub async fn link_chat(
        &self,
        code: &str,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<User>, CoreError> {
        let Some(id) = self
            .store()
            .redeem_link_code(code, platform, external_id, self.now())
            .await?
        else {
            return Ok(None);
        };
        let user = self.get_user(id).await?;
        self.audit(
            Some(&Actor::from(user.clone())),
            "chat.link",
            "user",
            Some(id.to_string()),
            None,
            Some(serde_json::json!({"platform": platform, "external_id": external_id})),
        )
        .await?;
        Ok(Some(user))
    }
}
