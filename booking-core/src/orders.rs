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
    /// What (e.g. "coffee").
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Estimated unit cost in cents of the organisation's currency.
    pub unit_cost_cents: u64,
}

/// A procurement order attached to a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its identifier.
    pub id: OrderId,
    /// The booking it is for.
    pub booking_id: BookingId,
    /// Who asked for it.
    pub requested_by: UserId,
    /// What kind.
    pub kind: OrderKind,
    /// What is ordered.
    pub items: Vec<OrderItem>,
    /// How urgent.
    pub priority: Priority,
    /// Where it stands (requested … delivered).
    pub status: OrderStatus,
    /// Cost centre to charge.
    pub cost_centre: String,
    /// Free text for the supplier.
    pub notes: String,
    /// The booking moved after the order was placed: an officer should check it.
    pub needs_review: bool,
    /// Why the system changed the order (e.g. "booking cancelled").
    pub notice: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
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
