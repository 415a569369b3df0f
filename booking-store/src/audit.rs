//! The audit log.

use async_trait::async_trait;
use booking_core::domain::UserId;
use booking_core::store::{AuditEntry, AuditFilter, AuditStore};

use crate::SqlStore;
use crate::backend::{Arg, Conn, SqlBackend, args};
use crate::error::{StoreError, db};
use crate::query::Script;
use crate::rec::Rec;

/// The statement writing audit entry `e`.
pub(crate) fn statement(script: &mut Script, e: &AuditEntry) {
    script.push(
        "INSERT INTO audit_log (at, actor_id, actor_ip, action, entity, entity_id, before, after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        args![
            e.at,
            e.actor_id,
            &e.actor_ip,
            &e.action,
            &e.entity,
            &e.entity_id,
            Arg::Json(e.before.clone()),
            Arg::Json(e.after.clone()),
        ],
    );
}

/// Write an audit entry on `conn` (inside the change's transaction).
pub(crate) async fn insert<B: SqlBackend>(
    conn: &mut Conn<B>,
    e: &AuditEntry,
) -> Result<(), StoreError> {
    let mut script = Script::default();
    statement(&mut script, e);
    script
        .run::<B>(conn)
        .await
        .map(|_| ())
        .map_err(db("write audit entry"))
}

#[async_trait]
impl<B: SqlBackend> AuditStore for SqlStore<B> {
    async fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        const OP: &str = "write audit entry";
        let mut conn = self.b.writer().await.map_err(db(OP))?;
        insert::<B>(&mut conn, e).await
    }

    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self
            .rows(
                "read audit log",
                "SELECT id, at, actor_id, actor_ip, action, entity, entity_id, before, after \
                 FROM audit_log WHERE ($1 IS NULL OR actor_id = $1) AND ($2 IS NULL OR entity = $2) \
                 AND ($3 IS NULL OR entity_id = $3) AND ($4 IS NULL OR at >= $4) \
                 AND ($5 IS NULL OR at < $5) ORDER BY id DESC LIMIT $6",
                args![f.actor_id, &f.entity, &f.entity_id, f.from, f.to, f.limit],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok(AuditEntry {
                    id: r.int("id")?,
                    at: r.time("at")?,
                    actor_id: r.opt_uuid("actor_id")?.map(UserId),
                    actor_ip: r.opt_text("actor_ip")?,
                    action: r.text("action")?,
                    entity: r.text("entity")?,
                    entity_id: r.opt_text("entity_id")?,
                    before: r.opt_json_value("before")?,
                    after: r.opt_json_value("after")?,
                })
            })
            .collect()
    }
}
