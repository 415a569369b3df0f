//! A revoked token stays revoked for as long as any clock could still take
//! it: JWT expiry is checked in whole seconds, so a revocation must outlive
//! the token's `exp` (found when a logout under load left the access token
//! working for the rest of its last second).

use booking_server::tables;
use booking_store::testing::{TestDb, backends};
use chrono::{Duration, Utc};

#[tokio::test]
async fn a_revocation_outlives_the_tokens_expiry() {
    for backend in backends() {
        let db = TestDb::create(backend).await;
        let stores = tables::open_with(&db.url, &Default::default())
            .await
            .expect("store");
        let s = &stores.server;
        // Expired half a second ago: a whole-second `exp` check still accepts it.
        let exp = Utc::now() - Duration::milliseconds(500);
        s.revoke_token("jti-just-expired", exp)
            .await
            .expect("revoke");
        assert!(
            s.is_token_revoked("jti-just-expired").await.expect("q"),
            "{backend:?}: the revocation was dropped before the token stopped working"
        );
        // Long gone: forgotten.
        s.revoke_token("jti-old", Utc::now() - Duration::hours(2))
            .await
            .expect("revoke");
        s.revoke_token("jti-other", Utc::now() + Duration::minutes(5))
            .await
            .expect("revoke");
        assert!(
            !s.is_token_revoked("jti-old").await.expect("q"),
            "{backend:?}: old rows are pruned"
        );
        stores.core.close().await;
    }
}
