//! Procurement orders.

use async_trait::async_trait;
use booking_core::domain::{BookingId, UserId};
use booking_core::procurement::{Order, OrderId, OrderStatus};
use booking_core::store::OrderStore;

use crate::SqlStore;
use crate::backend::{Arg, Row, SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

macro_rules! cols {
    () => {
        "SELECT id, booking_id, requested_by, kind, items, priority, status, cost_centre, notes, \
         needs_review, notice, created_at, updated_at FROM orders"
    };
}

fn order<B: SqlBackend>(row: &Row<B>) -> Result<Order, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(Order {
        id: OrderId(r.uuid("id")?),
        booking_id: BookingId(r.uuid("booking_id")?),
        requested_by: UserId(r.uuid("requested_by")?),
        kind: r.parse("kind")?,
        items: r.json("items")?,
        priority: r.parse("priority")?,
        status: r.parse("status")?,
        cost_centre: r.text("cost_centre")?,
        notes: r.text("notes")?,
        needs_review: r.flag("needs_review")?,
        notice: r.opt_text("notice")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

#[async_trait]
impl<B: SqlBackend> OrderStore for SqlStore<B> {
    async fn insert_order(&self, o: &Order) -> Result<(), StoreError> {
        self.run(
            "insert order",
            "INSERT INTO orders (id, booking_id, requested_by, kind, items, priority, status, \
             cost_centre, notes, needs_review, notice, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            args![
                o.id,
                o.booking_id,
                o.requested_by,
                o.kind.as_str(),
                Arg::json(&o.items)?,
                o.priority.as_str(),
                o.status.as_str(),
                &o.cost_centre,
                &o.notes,
                o.needs_review,
                &o.notice,
                o.created_at,
                o.updated_at,
            ],
        )
        .await
    }

    async fn update_order(&self, o: &Order, expected: OrderStatus) -> Result<bool, StoreError> {
        self.changed_one(
            "update order",
            "UPDATE orders SET status = $1, needs_review = $2, notice = $3, updated_at = $4 \
                 WHERE id = $5 AND status = $6",
            args![
                o.status.as_str(),
                o.needs_review,
                &o.notice,
                o.updated_at,
                o.id,
                expected.as_str(),
            ],
        )
        .await
    }

    async fn get_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        const Q: &str = concat!(cols!(), " WHERE id = $1");
        self.find("get order", Q, args![id], order::<B>).await
    }

    async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<Order>, StoreError> {
        const Q: &str = concat!(
            cols!(),
            " WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR booking_id = $2) \
              ORDER BY created_at LIMIT 5000"
        );
        self.all(
            "list orders",
            Q,
            args![status.map(|s| s.as_str()), booking],
            order::<B>,
        )
        .await
    }
}
