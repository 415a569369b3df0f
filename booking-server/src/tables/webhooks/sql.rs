//! The webhook tables on SQLite and PostgreSQL: one implementation over
//! the store's backend trait.

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{BookingId, RoomId, UserId};
use booking_store::backend::{Conn, Row, SqlBackend, args};
use booking_store::query::{commit, exec, fetch};
use booking_store::{Rec, SqlStore};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::records::{Attempt, Delivery, DeliveryState, Endpoint, NewDelivery, Next, WebhookStore};

const ENDPOINT_COLUMNS: &str = "SELECT id, owner_id, url, description, kinds, room_id, secret, \
     previous_secret, previous_until, enabled, disabled_reason, failures, created_at, updated_at \
     FROM webhook_endpoints";

const DELIVERY_COLUMNS: &str = "SELECT id, endpoint_id, message_id, event_id, kind, booking_id, \
     body, state, attempts, next_attempt_at, last_status, last_latency_ms, last_response, \
     last_error, created_at, finished_at FROM webhook_deliveries";

fn endpoint<B: SqlBackend>(row: &Row<B>) -> Result<Endpoint, StoreError> {
    let r = Rec::<B>::new(row);
    let kinds = r.text("kinds")?;
    Ok(Endpoint {
        id: r.uuid("id")?,
        owner_id: UserId(r.uuid("owner_id")?),
        url: r.text("url")?,
        description: r.text("description")?,
        kinds: kinds
            .split(',')
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
        room_id: r.opt_uuid("room_id")?.map(RoomId),
        secret: SecretString::from(r.text("secret")?),
        previous_secret: r.opt_text("previous_secret")?.map(SecretString::from),
        previous_until: r.opt_time("previous_until")?,
        enabled: r.flag("enabled")?,
        disabled_reason: r.opt_text("disabled_reason")?,
        failures: r.u32("failures")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

fn delivery<B: SqlBackend>(row: &Row<B>) -> Result<Delivery, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(Delivery {
        id: r.int("id")?,
        new: NewDelivery {
            endpoint_id: r.uuid("endpoint_id")?,
            message_id: r.text("message_id")?,
            event_id: r.int("event_id")?,
            kind: r.text("kind")?,
            booking_id: BookingId(r.uuid("booking_id")?),
            body: r.text("body")?,
        },
        state: r.parse("state")?,
        attempts: r.u32("attempts")?,
        next_attempt_at: r.time("next_attempt_at")?,
        last: Attempt {
            status: r
                .opt_int("last_status")?
                .and_then(|s| u16::try_from(s).ok()),
            latency_ms: r.opt_int("last_latency_ms")?,
            response: r.opt_text("last_response")?,
            error: r.opt_text("last_error")?,
        },
        created_at: r.time("created_at")?,
        finished_at: r.opt_time("finished_at")?,
    })
}

/// What an endpoint's owner sets and the sender changes, in column order
/// `url … updated_at`.
fn settings(e: &Endpoint) -> Vec<booking_store::backend::Arg> {
    args![
        &e.url,
        &e.description,
        e.kinds.join(","),
        e.room_id,
        e.secret.expose_secret(),
        e.previous_secret.as_ref().map(|s| s.expose_secret()),
        e.previous_until,
        e.enabled,
        e.disabled_reason.as_deref(),
        i64::from(e.failures),
        e.updated_at
    ]
}

async fn insert_deliveries<B: SqlBackend>(
    conn: &mut Conn<B>,
    deliveries: &[NewDelivery],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for d in deliveries {
        exec::<B>(
            conn,
            "add webhook delivery",
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_id, kind, booking_id, \
             body, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) ON CONFLICT DO NOTHING",
            args![
                d.endpoint_id,
                &d.message_id,
                d.event_id,
                &d.kind,
                d.booking_id,
                &d.body,
                now
            ],
        )
        .await?;
    }
    Ok(())
}

#[async_trait]
impl<B: SqlBackend> WebhookStore for SqlStore<B> {
    async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), StoreError> {
        let mut args = args![e.id, e.owner_id];
        args.extend(settings(e));
        args.push(e.created_at.into());
        self.run(
            "create webhook endpoint",
            "INSERT INTO webhook_endpoints (id, owner_id, url, description, kinds, room_id, secret, \
             previous_secret, previous_until, enabled, disabled_reason, failures, updated_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            args,
        )
        .await
    }

    async fn update_endpoint(&self, e: &Endpoint) -> Result<bool, StoreError> {
        let mut args = args![e.id];
        args.extend(settings(e));
        self.changed_one(
            "update webhook endpoint",
            "UPDATE webhook_endpoints SET url = $2, description = $3, kinds = $4, room_id = $5, \
             secret = $6, previous_secret = $7, previous_until = $8, enabled = $9, \
             disabled_reason = $10, failures = $11, updated_at = $12 WHERE id = $1",
            args,
        )
        .await
    }

    async fn delete_endpoint(&self, id: Uuid) -> Result<bool, StoreError> {
        const OP: &str = "delete webhook endpoint";
        let mut tx = self.begin(OP, None).await?;
        exec::<B>(
            &mut tx,
            OP,
            "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
            args![id],
        )
        .await?;
        let n = exec::<B>(
            &mut tx,
            OP,
            "DELETE FROM webhook_endpoints WHERE id = $1",
            args![id],
        )
        .await?;
        commit::<B>(OP, tx).await?;
        Ok(n == 1)
    }

    async fn get_endpoint(&self, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        let q = format!("{ENDPOINT_COLUMNS} WHERE id = $1");
        self.find(
            "read webhook endpoint",
            sqlx::AssertSqlSafe(q),
            args![id],
            endpoint::<B>,
        )
        .await
    }

    async fn list_endpoints(&self, owner: Option<UserId>) -> Result<Vec<Endpoint>, StoreError> {
        let q = format!(
            "{ENDPOINT_COLUMNS} WHERE ($1 IS NULL OR owner_id = $1) ORDER BY created_at, id"
        );
        self.all(
            "list webhook endpoints",
            sqlx::AssertSqlSafe(q),
            args![owner],
            endpoint::<B>,
        )
        .await
    }

    async fn endpoint_failed(&self, id: Uuid) -> Result<u32, StoreError> {
        const OP: &str = "count webhook failure";
        let mut tx = self.begin(OP, None).await?;
        exec::<B>(
            &mut tx,
            OP,
            "UPDATE webhook_endpoints SET failures = failures + 1 WHERE id = $1",
            args![id],
        )
        .await?;
        let rows = fetch::<B>(
            &mut tx,
            OP,
            "SELECT failures FROM webhook_endpoints WHERE id = $1",
            args![id],
        )
        .await?;
        let n = match rows.first() {
            Some(row) => Rec::<B>::new(row).u32("failures")?,
            None => 0,
        };
        commit::<B>(OP, tx).await?;
        Ok(n)
    }

    async fn endpoint_succeeded(&self, id: Uuid) -> Result<(), StoreError> {
        self.run(
            "reset webhook failures",
            "UPDATE webhook_endpoints SET failures = 0 WHERE id = $1 AND failures <> 0",
            args![id],
        )
        .await
    }

    async fn disable_endpoint(
        &self,
        id: Uuid,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.changed_one(
            "disable webhook endpoint",
            "UPDATE webhook_endpoints SET enabled = $2, disabled_reason = $3, updated_at = $4 \
             WHERE id = $1 AND enabled = $5",
            args![id, false, reason, at, true],
        )
        .await
    }

    async fn webhook_cursor(&self) -> Result<Option<i64>, StoreError> {
        let row = self
            .row(
                "read webhook cursor",
                "SELECT event_id FROM webhook_cursor WHERE id = 1",
                args![],
            )
            .await?;
        row.as_ref()
            .map(|r| Rec::<B>::new(r).int("event_id"))
            .transpose()
    }

    async fn advance_webhook_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        deliveries: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const OP: &str = "advance webhook cursor";
        let mut tx = self.begin(OP, None).await?;
        let moved = match from {
            None => {
                exec::<B>(
                    &mut tx,
                    OP,
                    "INSERT INTO webhook_cursor (id, event_id) VALUES (1, $1) \
                     ON CONFLICT (id) DO NOTHING",
                    args![to],
                )
                .await?
            }
            Some(from) => {
                exec::<B>(
                    &mut tx,
                    OP,
                    "UPDATE webhook_cursor SET event_id = $1 WHERE id = 1 AND event_id = $2",
                    args![to, from],
                )
                .await?
            }
        };
        if moved == 0 {
            return Ok(false);
        }
        insert_deliveries::<B>(&mut tx, deliveries, now).await?;
        commit::<B>(OP, tx).await?;
        Ok(true)
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        const OP: &str = "claim webhook deliveries";
        let mut tx = self.begin(OP, None).await?;
        let sql = format!(
            "{DELIVERY_COLUMNS} d WHERE d.state = 'pending' AND d.next_attempt_at <= $1 \
             AND d.endpoint_id IN (SELECT id FROM webhook_endpoints WHERE enabled = $3) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.state = 'pending' \
             AND p.endpoint_id = d.endpoint_id AND p.booking_id = d.booking_id AND p.id < d.id) \
             ORDER BY d.id LIMIT $2{}",
            B::SKIP_LOCKED
        );
        let rows = fetch::<B>(
            &mut tx,
            OP,
            sqlx::AssertSqlSafe(sql),
            args![now, limit, true],
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut d = delivery::<B>(row)?;
            exec::<B>(
                &mut tx,
                OP,
                "UPDATE webhook_deliveries SET next_attempt_at = $1, attempts = attempts + 1 \
                 WHERE id = $2",
                args![lease_until, d.id],
            )
            .await?;
            d.attempts += 1;
            d.next_attempt_at = lease_until;
            out.push(d);
        }
        commit::<B>(OP, tx).await?;
        Ok(out)
    }

    async fn finish_attempt(
        &self,
        id: i64,
        attempt: &Attempt,
        next: Next,
    ) -> Result<(), StoreError> {
        let (state, next_at, finished) = match next {
            Next::Delivered(at) => (DeliveryState::Delivered, at, Some(at)),
            Next::RetryAt(at) => (DeliveryState::Pending, at, None),
            Next::GiveUp(at) => (DeliveryState::Failed, at, Some(at)),
        };
        self.run(
            "record webhook attempt",
            "UPDATE webhook_deliveries SET state = $2, next_attempt_at = $3, finished_at = $4, \
             last_status = $5, last_latency_ms = $6, last_response = $7, last_error = $8 \
             WHERE id = $1",
            args![
                id,
                state.as_str(),
                next_at,
                finished,
                attempt.status.map(i64::from),
                attempt.latency_ms,
                attempt.response.as_deref(),
                attempt.error.as_deref()
            ],
        )
        .await
    }

    async fn list_deliveries(
        &self,
        endpoint: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let q = format!(
            "{DELIVERY_COLUMNS} WHERE endpoint_id = $1 AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        );
        self.all(
            "list webhook deliveries",
            sqlx::AssertSqlSafe(q),
            args![endpoint, before, limit],
            delivery::<B>,
        )
        .await
    }

    async fn get_delivery(&self, id: i64) -> Result<Option<Delivery>, StoreError> {
        let q = format!("{DELIVERY_COLUMNS} WHERE id = $1");
        self.find(
            "read webhook delivery",
            sqlx::AssertSqlSafe(q),
            args![id],
            delivery::<B>,
        )
        .await
    }

    async fn redeliver(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        self.changed_one(
            "redeliver webhook",
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $2, \
             finished_at = NULL WHERE id = $1 AND state <> 'pending'",
            args![id, now],
        )
        .await
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(
            "prune webhook deliveries",
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at < $1",
            args![before],
        )
        .await
    }
}
