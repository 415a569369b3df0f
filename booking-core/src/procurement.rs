//! Procurement orders attached to bookings: catering, equipment, supplies,
//! decoration, transportation. Officers approve and advance them; an order
//! follows its booking (a moved booking flags it for review, a cancelled one
//! cancels it with a notice).

use serde::{Deserialize, Serialize};

use crate::domain::BookingId;
use crate::error::{CoreError, InputError};
pub use crate::orders::*;
use crate::service::{Actor, BookingService, check_text};

/// What a requester asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Catering, equipment or services.
    pub kind: OrderKind,
    /// What is ordered.
    pub items: Vec<OrderItem>,
    /// How urgent.
    pub priority: Priority,
    /// Cost centre to charge.
    pub cost_centre: String,
    /// Free text for the supplier.
    pub notes: String,
}

fn invalid(field: &'static str, reason: &str) -> CoreError {
    InputError::Invalid {
        field,
        reason: reason.into(),
    }
    .into()
}

/// The kind of stored event an order change makes (webhooks deliver it).
pub const ORDER_EVENT: &str = "order_changed";

/// The stored form of an order change: the order as payload, filed under
/// its booking's room and organizer so the same people may see it.
pub fn order_event(
    order: &Order,
    booking: &crate::domain::Booking,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::store::StoredEvent {
    crate::store::StoredEvent {
        id: 0,
        at,
        kind: ORDER_EVENT.into(),
        room_id: booking.room_id,
        organizer_id: booking.organizer_id,
        booking_id: booking.id,
        payload: serde_json::to_value(order).unwrap_or_default(),
    }
}

impl BookingService {
    /// Attach an order to a booking (its organizer, or an officer).
    pub async fn place_order(
        &self,
        actor: &Actor,
        booking: BookingId,
        req: OrderRequest,
    ) -> Result<Order, CoreError> {
        let b = self.get_booking(booking).await?;
        if b.organizer_id != actor.id && !is_officer(actor) {
            return Err(CoreError::Forbidden(
                "only the organizer may order for this booking".into(),
            ));
        }
        if !b.status.is_blocking() {
            return Err(invalid(
                "booking_id",
                "the booking is not pending or approved",
            ));
        }
        if req.items.is_empty() || req.items.len() > 100 {
            return Err(invalid("items", "give 1 to 100 items"));
        }
        for i in &req.items {
            check_text("item name", &i.name, 200, true)?;
            if i.quantity == 0 {
                return Err(invalid("quantity", "must be at least 1"));
            }
        }
        check_text("cost_centre", &req.cost_centre, 100, true)?;
        check_text("notes", &req.notes, 2000, false)?;
        let now = self.now();
        let order = Order {
            id: OrderId::new_random(),
            booking_id: booking,
            requested_by: actor.id,
            kind: req.kind,
            items: req.items,
            priority: req.priority,
            status: OrderStatus::Pending,
            cost_centre: req.cost_centre.trim().to_string(),
            notes: req.notes,
            needs_review: false,
            notice: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_order(&order).await?;
        self.store
            .append_events(&[order_event(&order, &b, now)])
            .await?;
        self.audit(
            Some(actor),
            "order.create",
            "order",
            Some(order.id.to_string()),
            None,
            serde_json::to_value(&order).ok(),
        )
        .await?;
        Ok(order)
    }

    /// What happened to an order, oldest first: who placed, approved,
    /// advanced or cancelled it, and when. Officers, and the requester.
    pub async fn order_history(
        &self,
        actor: &Actor,
        id: OrderId,
    ) -> Result<Vec<crate::store::AuditEntry>, CoreError> {
        let order = self.get_order(id).await?;
        if order.requested_by != actor.id && !is_officer(actor) {
            return Err(CoreError::Forbidden(
                "only an officer, or the requester, may see an order's history".into(),
            ));
        }
        let mut entries = self
            .store
            .list_audit(&crate::store::AuditFilter {
                entity: Some("order".into()),
                entity_id: Some(id.to_string()),
                limit: 500,
                ..Default::default()
            })
            .await?;
        entries.reverse();
        Ok(entries)
    }

    /// One order, or `NotFound`.
    pub async fn get_order(&self, id: OrderId) -> Result<Order, CoreError> {
        self.store
            .get_order(id)
            .await?
            .ok_or_else(|| CoreError::not_found("order", id))
    }

    async fn change_order(
        &self,
        actor: &Actor,
        before: Order,
        after: Order,
        action: &str,
    ) -> Result<Order, CoreError> {
        if !self.store.update_order(&after, before.status).await? {
            return Err(CoreError::Stale(format!(
                "order {} changed; reload and retry",
                before.id
            )));
        }
        let booking = self.get_booking(after.booking_id).await?;
        self.store
            .append_events(&[order_event(&after, &booking, after.updated_at)])
            .await?;
        self.audit(
            Some(actor),
            action,
            "order",
            Some(after.id.to_string()),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        Ok(after)
    }

    /// Advance an order one step (pending → approved → ordered → delivered);
    /// officers only. Advancing clears a review flag.
    pub async fn advance_order(&self, actor: &Actor, id: OrderId) -> Result<Order, CoreError> {
        if !is_officer(actor) {
            return Err(CoreError::RoleDenied {
                role: actor.role,
                action: "approve or advance orders",
            });
        }
        let before = self.get_order(id).await?;
        let Some(next) = next_status(before.status) else {
            return Err(CoreError::WrongState(format!(
                "a {} order cannot advance",
                before.status
            )));
        };
        let after = Order {
            status: next,
            needs_review: false,
            updated_at: self.now(),
            ..before.clone()
        };
        self.change_order(actor, before, after, &format!("order.{next}"))
            .await
    }

    /// Cancel an order: officers any time before delivery, the requester while pending.
    pub async fn cancel_order(
        &self,
        actor: &Actor,
        id: OrderId,
        reason: Option<String>,
    ) -> Result<Order, CoreError> {
        let before = self.get_order(id).await?;
        let own_pending = before.requested_by == actor.id && before.status == OrderStatus::Pending;
        if !is_officer(actor) && !own_pending {
            return Err(CoreError::Forbidden(
                "only an officer, or the requester while pending, may cancel".into(),
            ));
        }
        if matches!(
            before.status,
            OrderStatus::Delivered | OrderStatus::Cancelled
        ) {
            return Err(CoreError::WrongState(format!(
                "a {} order cannot be cancelled",
                before.status
            )));
        }
        let after = Order {
            status: OrderStatus::Cancelled,
            notice: reason.or_else(|| before.notice.clone()),
            updated_at: self.now(),
            ..before.clone()
        };
        self.change_order(actor, before, after, "order.cancel")
            .await
    }

    /// Orders by status (officer queue: pending first, most urgent first).
    pub async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<Order>, CoreError> {
        let mut orders = self.store.list_orders(status, booking).await?;
        orders.sort_by(|a, b| {
            a.status
                .cmp(&b.status)
                .then(b.priority.cmp(&a.priority))
                .then(a.created_at.cmp(&b.created_at))
        });
        Ok(orders)
    }

    /// Make a booking's open orders follow it: moved → flag for review,
    /// gone → cancel with a notice.
    pub(crate) async fn orders_follow_booking(
        &self,
        booking: BookingId,
        gone: Option<&str>,
    ) -> Result<(), CoreError> {
        let now = self.now();
        let orders = self.store.list_orders(None, Some(booking)).await?;
        if orders.is_empty() {
            return Ok(());
        }
        let b = self.get_booking(booking).await?;
        for o in orders {
            if matches!(o.status, OrderStatus::Delivered | OrderStatus::Cancelled) {
                continue;
            }
            let after = match gone {
                Some(why) => Order {
                    status: OrderStatus::Cancelled,
                    notice: Some(why.to_string()),
                    updated_at: now,
                    ..o.clone()
                },
                None => Order {
                    needs_review: true,
                    notice: Some("the booking moved: check dates and delivery".into()),
                    updated_at: now,
                    ..o.clone()
                },
            };
            if self.store.update_order(&after, o.status).await? {
                self.store
                    .append_events(&[order_event(&after, &b, now)])
                    .await?;
            }
        }
        Ok(())
    }
}
