//! Accounts changed by the system's own doors — the command line and the
//! demo data — rather than by a signed-in person: audited all the same, with
//! no actor and `via` naming the door. Password hashes are never audited.

use crate::domain::AccountState;
use serde_json::json;

use std::collections::BTreeSet;

use crate::domain::{Role, RoomId, User, UserId};
use crate::error::CoreError;
use crate::service::{Actor, BookingService};
use crate::store::Credentials;

impl BookingService {
    /// Create an account from `via` (`"cli"`, `"demo"`), audited as `user.create`.
    pub async fn create_user_via(
        &self,
        via: &str,
        email: &str,
        display_name: &str,
        role: Role,
        password_hash: Option<&str>,
    ) -> Result<User, CoreError> {
        let user = self
            .create_user(
                email,
                display_name,
                role,
                password_hash,
                AccountState::Active,
            )
            .await?;
        self.audit(
            None,
            "user.create",
            "user",
            Some(user.id.to_string()),
            None,
            Some(
                json!({"via": via, "email": user.email, "role": user.role, "active": user.active}),
            ),
        )
        .await?;
        Ok(user)
    }

    /// Give an account a new password (and clear its lockout) from `via`,
    /// audited as `user.password`.
    pub async fn reset_password_via(
        &self,
        via: &str,
        user: UserId,
        password_hash: &str,
    ) -> Result<(), CoreError> {
        self.store()
            .set_credentials(
                user,
                &Credentials {
                    password_hash: Some(password_hash.to_string()),
                    ..Credentials::default()
                },
            )
            .await?;
        self.audit(
            None,
            "user.password",
            "user",
            Some(user.to_string()),
            None,
            Some(json!({"via": via})),
        )
        .await
    }

    /// Make `email` an active super admin with this password, creating the
    /// account when there is none (`create-admin`); `true` when created.
    /// A role or activation change is audited as `user.update`.
    pub async fn bootstrap_admin(
        &self,
        via: &str,
        email: &str,
        display_name: &str,
        password_hash: &str,
    ) -> Result<(User, bool), CoreError> {
        let Some(before) = self.store().get_user_by_email(email.trim()).await? else {
            let user = self
                .create_user_via(
                    via,
                    email,
                    display_name,
                    Role::SuperAdmin,
                    Some(password_hash),
                )
                .await?;
            return Ok((user, true));
        };
        let user = User {
            role: Role::SuperAdmin,
            active: true,
            ..before.clone()
        };
        if user != before {
            self.store().update_user(&user).await?;
            self.audit(
                None,
                "user.update",
                "user",
                Some(user.id.to_string()),
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&user).ok().map(|mut v| {
                    v["via"] = json!(via);
                    v
                }),
            )
            .await?;
        }
        self.reset_password_via(via, user.id, password_hash).await?;
        Ok((user, false))
    }

    /// Give `user` the role and rooms their sign-in provider's groups grant,
    /// audited as `user.sso_grant` with the user as actor (nobody else
    /// decided it). Nothing is written when nothing changes.
    pub async fn apply_sign_in_grant(
        &self,
        user: &User,
        role: Role,
        assigned_rooms: BTreeSet<RoomId>,
    ) -> Result<User, CoreError> {
        let updated = User {
            role,
            assigned_rooms,
            ..user.clone()
        };
        if updated == *user {
            return Ok(updated);
        }
        self.store().update_user(&updated).await?;
        let actor = Actor::from(user.clone());
        self.audit_change(
            &actor,
            "user.sso_grant",
            "user",
            user.id,
            Some(user),
            Some(&updated),
        )
        .await?;
        Ok(updated)
    }
}
