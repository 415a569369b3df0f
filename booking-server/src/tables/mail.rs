//! Mail: the outbox, the notifier's cursor, and the invitations rooms answered.

use async_trait::async_trait;
use booking_core::domain::{BookingId, RoomId, SeriesId};
use chrono::{DateTime, Utc};

use booking_core::StoreError;
use booking_store::Rec;
use booking_store::SqlStore;
use booking_store::backend::{Conn, Row, SqlBackend, args};
use booking_store::query::{commit, exec, fetch};

/// Enqueue on `conn` (inside the caller's transaction); a message whose
/// dedupe key is there already is dropped.
async fn insert<B: SqlBackend>(
    conn: &mut Conn<B>,
    mails: &[NewMail],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for m in mails {
        exec::<B>(
            conn,
            "enqueue mail",
            "INSERT INTO outbox (dedupe_key, kind, sender, recipient, subject, message, created_at, \
             next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING",
            args![
                &m.dedupe_key,
                &m.kind,
                &m.sender,
                &m.recipient,
                &m.subject,
                &m.message,
                now,
            ],
        )
        .await?;
    }
    Ok(())
}

macro_rules! invite_cols {
    () => {
        "SELECT uid, room_id, organizer, sequence, booking_id, series_id, updated_at FROM invites"
    };
}

fn invite<B: SqlBackend>(row: &Row<B>) -> Result<InviteLink, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(InviteLink {
        uid: r.text("uid")?,
        room_id: RoomId(r.uuid("room_id")?),
        organizer: r.text("organizer")?,
        sequence: r.int("sequence")?,
        booking_id: r.opt_uuid("booking_id")?.map(BookingId),
        series_id: r.opt_uuid("series_id")?.map(SeriesId),
        updated_at: r.time("updated_at")?,
    })
}

/// A message for the outbox (already composed, RFC 5322 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Enqueueing the same key twice keeps one message.
    pub dedupe_key: Option<String>,
    pub kind: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub message: Vec<u8>,
}

/// A message claimed from the outbox for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    pub message: Vec<u8>,
    /// Including this one.
    pub attempts: u32,
}

/// An invitation a room answered, and what it booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    pub uid: String,
    pub room_id: RoomId,
    pub organizer: String,
    pub sequence: i64,
    pub booking_id: Option<BookingId>,
    pub series_id: Option<SeriesId>,
    pub updated_at: DateTime<Utc>,
}

/// Counts of the outbox, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
}

/// Server tables for mail: the outbox, the notifier's cursor and the
/// invitations rooms answered.
#[async_trait]
pub trait MailStore: Send + Sync {
    /// Add messages to the outbox (duplicates by `dedupe_key` are dropped).
    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<(), StoreError>;
    /// The notifier's event cursor (`None` before its first run).
    async fn mail_cursor(&self) -> Result<Option<i64>, StoreError>;
    /// Move the cursor from `from` to `to` and enqueue `mails`, atomically;
    /// `false` (nothing written) when another process moved it first.
    async fn advance_mail_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Claim up to `limit` due messages until `lease_until` (attempts + 1).
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError>;
    async fn mail_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn mail_failed(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;
    /// Messages in the outbox, newest first (for tests and operators).
    async fn outbox_messages(&self, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    async fn invite_link(&self, uid: &str, room: RoomId) -> Result<Option<InviteLink>, StoreError>;
    /// The invitation that made a booking (or its series), if any.
    async fn invite_link_for(
        &self,
        booking: BookingId,
        series: Option<SeriesId>,
    ) -> Result<Option<InviteLink>, StoreError>;
    async fn save_invite_link(&self, link: &InviteLink) -> Result<(), StoreError>;
}

#[async_trait]
impl<B: SqlBackend> MailStore for SqlStore<B> {
    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<(), StoreError> {
        const OP: &str = "enqueue mail";
        if mails.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin(OP, None).await?;
        insert::<B>(&mut tx, mails, now).await?;
        commit::<B>(OP, tx).await
    }

    async fn mail_cursor(&self) -> Result<Option<i64>, StoreError> {
        let row = self
            .row(
                "read mail cursor",
                "SELECT event_id FROM mail_cursor WHERE id = 1",
                vec![],
            )
            .await?;
        row.map(|row| Rec::<B>::new(&row).int("event_id"))
            .transpose()
    }

    async fn advance_mail_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const OP: &str = "advance mail cursor";
        let mut tx = self.begin(OP, None).await?;
        let moved = match from {
            None => exec::<B>(
                &mut tx,
                OP,
                "INSERT INTO mail_cursor (id, event_id) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
                args![to],
            )
            .await?,
            Some(from) => {
                exec::<B>(
                    &mut tx,
                    OP,
                    "UPDATE mail_cursor SET event_id = $1 WHERE id = 1 AND event_id = $2",
                    args![to, from],
                )
                .await?
            }
        };
        if moved == 0 {
            return Ok(false);
        }
        insert::<B>(&mut tx, mails, now).await?;
        commit::<B>(OP, tx).await?;
        Ok(true)
    }

    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError> {
        const OP: &str = "claim mail";
        let mut tx = self.begin(OP, None).await?;
        let sql = format!(
            "SELECT id, sender, recipient, message, CAST(attempts AS BIGINT) AS attempts FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2{}",
            B::SKIP_LOCKED
        );
        let rows = fetch::<B>(&mut tx, OP, sqlx::AssertSqlSafe(sql), args![now, limit]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let r = Rec::<B>::new(row);
            let id = r.int("id")?;
            exec::<B>(
                &mut tx,
                OP,
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id = $2",
                args![lease_until, id],
            )
            .await?;
            out.push(QueuedMail {
                id,
                sender: r.text("sender")?,
                recipient: r.text("recipient")?,
                message: r.bytes("message")?,
                attempts: u32::try_from(r.int("attempts")?).unwrap_or(0) + 1,
            });
        }
        commit::<B>(OP, tx).await?;
        Ok(out)
    }

    async fn mail_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.run(
            "mark mail sent",
            "UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2",
            args![at, id],
        )
        .await
    }

    async fn mail_failed(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.run(
            "mark mail failed",
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
            args![next_attempt, error, id],
        )
        .await
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        let row = self
            .one(
                "count outbox",
                "SELECT COUNT(*) FILTER (WHERE sent_at IS NULL) AS pending, \
                 COUNT(*) FILTER (WHERE sent_at IS NOT NULL) AS sent FROM outbox",
                vec![],
            )
            .await?;
        let r = Rec::<B>::new(&row);
        Ok(OutboxCounts {
            pending: r.int("pending")?,
            sent: r.int("sent")?,
        })
    }

    async fn outbox_messages(&self, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows = self
            .rows(
                "read outbox",
                "SELECT kind, message FROM outbox ORDER BY id DESC LIMIT $1",
                args![limit],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let r = Rec::<B>::new(row);
                Ok((r.text("kind")?, r.bytes("message")?))
            })
            .collect()
    }

    async fn invite_link(&self, uid: &str, room: RoomId) -> Result<Option<InviteLink>, StoreError> {
        const Q: &str = concat!(invite_cols!(), " WHERE uid = $1 AND room_id = $2");
        self.find("read invitation", Q, args![uid, room], invite::<B>)
            .await
    }

    async fn invite_link_for(
        &self,
        booking: BookingId,
        series: Option<SeriesId>,
    ) -> Result<Option<InviteLink>, StoreError> {
        const Q: &str = concat!(
            invite_cols!(),
            " WHERE booking_id = $1 OR ($2 IS NOT NULL AND series_id = $2) LIMIT 1"
        );
        self.find(
            "read booking's invitation",
            Q,
            args![booking, series],
            invite::<B>,
        )
        .await
    }

    async fn save_invite_link(&self, l: &InviteLink) -> Result<(), StoreError> {
        self.run(
            "save invitation",
            "INSERT INTO invites (uid, room_id, organizer, sequence, booking_id, series_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (uid, room_id) DO UPDATE SET \
             organizer = excluded.organizer, sequence = excluded.sequence, \
             booking_id = excluded.booking_id, series_id = excluded.series_id, \
             updated_at = excluded.updated_at",
            args![
                &l.uid,
                l.room_id,
                &l.organizer,
                l.sequence,
                l.booking_id,
                l.series_id,
                l.updated_at,
            ],
        ).await
    }
}
