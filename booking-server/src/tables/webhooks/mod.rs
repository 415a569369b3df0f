//! Webhooks: the endpoints admins register, the fan-out cursor over the
//! events table, and one delivery per (event, endpoint) with its retries.

mod records;
mod sql;

pub use records::{Attempt, Delivery, DeliveryState, Endpoint, NewDelivery, Next, WebhookStore};
