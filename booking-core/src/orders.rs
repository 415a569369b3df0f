//! Procurement orders as data: what is ordered, its lifecycle, and the pure
//! rules about it. The service methods are in [`crate::procurement`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::OrderId;
use crate::domain::{BookingId, Role, User, UserId};
use crate::enums::string_enum;

string_enum!(
    /// What is ordered.
    OrderKind { Catering => "catering", Equipment => "equipment", Supplies => "supplies",
                Decoration => "decoration", Transportation => "transportation" }
);
string_enum!(
    /// How urgent.
    Priority { Low => "low", Medium => "medium", High => "high", Urgent => "urgent" }
);
string_enum!(
    /// Order lifecycle.
    OrderStatus { Pending => "pending", Approved => "approved", Ordered => "ordered",
                  Delivered => "delivered", Cancelled => "cancelled" }
);

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderItem {
    pub name: String,
    pub quantity: u32,
    /// Estimated unit cost in cents of the organisation's currency.
    pub unit_cost_cents: u64,
}

/// A procurement order attached to a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub booking_id: BookingId,
    pub requested_by: UserId,
    pub kind: OrderKind,
    pub items: Vec<OrderItem>,
    pub priority: Priority,
    pub status: OrderStatus,
    pub cost_centre: String,
    pub notes: String,
    /// The booking moved after the order was placed: an officer should check it.
    pub needs_review: bool,
    /// Why the system changed the order (e.g. "booking cancelled").
    pub notice: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// Estimated cost in cents.
    pub fn estimated_cost_cents(&self) -> u64 {
        self.items
            .iter()
            .map(|i| u64::from(i.quantity).saturating_mul(i.unit_cost_cents))
            .sum()
    }
}

/// The next status when an officer advances an order.
pub fn next_status(s: OrderStatus) -> Option<OrderStatus> {
    match s {
        OrderStatus::Pending => Some(OrderStatus::Approved),
        OrderStatus::Approved => Some(OrderStatus::Ordered),
        OrderStatus::Ordered => Some(OrderStatus::Delivered),
        OrderStatus::Delivered | OrderStatus::Cancelled => None,
    }
}

/// Whether `user` may approve and advance orders.
pub fn is_officer(user: &User) -> bool {
    matches!(user.role, Role::ProcurementOfficer | Role::SuperAdmin)
}
