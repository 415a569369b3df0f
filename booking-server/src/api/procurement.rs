//! Procurement orders attached to bookings, the officer queue, reports and CSV.

use std::collections::BTreeMap;

use booking_core::procurement::{
    Order, OrderId, OrderItem, OrderKind, OrderRequest, OrderStatus, Priority, is_officer,
};
use booking_core::{Actor, BookingId};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::analytics::{CsvResponse, csv};
use super::model::{ReasonIn, mirror_enum};
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

mirror_enum!(
    /// What an order is for.
    KindDto <=> OrderKind { Catering, Equipment, Supplies, Decoration, Transportation }
);
mirror_enum!(
    /// How urgent an order is.
    PriorityDto <=> Priority { Low, Medium, High, Urgent }
);
mirror_enum!(
    /// Where an order stands.
    OrderStatusDto <=> OrderStatus { Pending, Approved, Ordered, Delivered, Cancelled }
);

/// One line of an order.
#[derive(Debug, Clone, Object)]
pub struct ItemDto {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub quantity: u32,
    /// Estimated unit cost in cents.
    #[oai(validator(maximum(value = "100000000")))]
    pub unit_cost_cents: u64,
}

/// An order to place.
#[derive(Debug, Object)]
pub struct OrderIn {
    pub kind: KindDto,
    #[oai(validator(min_items = 1, max_items = 100))]
    pub items: Vec<ItemDto>,
    pub priority: PriorityDto,
    #[oai(validator(min_length = 1, max_length = 100))]
    pub cost_centre: String,
    #[oai(default, validator(max_length = 2000))]
    pub notes: String,
}

/// A procurement order.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrderOut {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub requested_by: Uuid,
    pub kind: KindDto,
    pub items: Vec<ItemDto>,
    pub priority: PriorityDto,
    pub status: OrderStatusDto,
    pub cost_centre: String,
    pub notes: String,
    /// The booking moved: an officer should check the order.
    pub needs_review: bool,
    /// Why the system changed the order.
    pub notice: Option<String>,
    pub estimated_cost_cents: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Order> for OrderOut {
    fn from(o: Order) -> Self {
        Self {
            estimated_cost_cents: o.estimated_cost_cents(),
            id: o.id.0,
            booking_id: o.booking_id.0,
            requested_by: o.requested_by.0,
            kind: o.kind.into(),
            items: o
                .items
                .into_iter()
                .map(|i| ItemDto {
                    name: i.name,
                    quantity: i.quantity,
                    unit_cost_cents: i.unit_cost_cents,
                })
                .collect(),
            priority: o.priority.into(),
            status: o.status.into(),
            cost_centre: o.cost_centre,
            notes: o.notes,
            needs_review: o.needs_review,
            notice: o.notice,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// Orders and estimated cost per month and kind.
#[derive(Debug, Object)]
pub struct ReportRow {
    /// YYYY-MM of the order's creation (UTC).
    pub period: String,
    pub kind: KindDto,
    pub orders: u64,
    pub delivered: u64,
    pub cancelled: u64,
    pub estimated_cost_cents: u64,
}

#[derive(ApiResponse)]
pub enum OrderCreated {
    /// The order is pending an officer's approval.
    #[oai(status = 201)]
    Created(Json<OrderOut>),
}

fn report(orders: &[Order], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<ReportRow> {
    let mut rows: BTreeMap<(String, OrderKind), ReportRow> = BTreeMap::new();
    for o in orders
        .iter()
        .filter(|o| o.created_at >= from && o.created_at < to)
    {
        let period = o.created_at.format("%Y-%m").to_string();
        let r = rows
            .entry((period.clone(), o.kind))
            .or_insert_with(|| ReportRow {
                period,
                kind: o.kind.into(),
                orders: 0,
                delivered: 0,
                cancelled: 0,
                estimated_cost_cents: 0,
            });
        r.orders += 1;
        r.delivered += u64::from(o.status == OrderStatus::Delivered);
        r.cancelled += u64::from(o.status == OrderStatus::Cancelled);
        if o.status != OrderStatus::Cancelled {
            r.estimated_cost_cents += o.estimated_cost_cents();
        }
    }
    rows.into_values().collect()
}

/// The CSV the API and the web app's download links answer.
pub(crate) fn csv_report(rows: Vec<ReportRow>) -> String {
    csv(
        &[
            "period",
            "kind",
            "orders",
            "delivered",
            "cancelled",
            "estimated_cost_cents",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.period,
                OrderKind::from(r.kind).to_string(),
                r.orders.to_string(),
                r.delivered.to_string(),
                r.cancelled.to_string(),
                r.estimated_cost_cents.to_string(),
            ]
        }),
    )
}

/// The CSV the API and the web app's download links answer.
pub(crate) fn csv_orders(orders: Vec<Order>) -> String {
    csv(
        &[
            "order_id",
            "booking_id",
            "kind",
            "priority",
            "status",
            "cost_centre",
            "item",
            "quantity",
            "unit_cost_cents",
            "needs_review",
            "created_at",
        ],
        orders.into_iter().flat_map(|o| {
            o.items
                .iter()
                .map(|i| {
                    vec![
                        o.id.to_string(),
                        o.booking_id.to_string(),
                        o.kind.to_string(),
                        o.priority.to_string(),
                        o.status.to_string(),
                        o.cost_centre.clone(),
                        i.name.clone(),
                        i.quantity.to_string(),
                        i.unit_cost_cents.to_string(),
                        o.needs_review.to_string(),
                        o.created_at.to_rfc3339(),
                    ]
                })
                .collect::<Vec<_>>()
        }),
    )
}

pub struct ProcurementApi;

#[OpenApi(tag = "ApiTags::Procurement")]
impl ProcurementApi {
    /// Order catering, equipment, supplies, decoration or transportation for a booking.
    #[oai(path = "/bookings/:id/orders", method = "post")]
    async fn place(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<OrderIn>,
    ) -> ApiResult<OrderCreated> {
        let b = body.0;
        let order = state
            .svc
            .place_order(
                &auth.0.actor,
                BookingId(id.0),
                OrderRequest {
                    kind: b.kind.into(),
                    items: b
                        .items
                        .into_iter()
                        .map(|i| OrderItem {
                            name: i.name,
                            quantity: i.quantity,
                            unit_cost_cents: i.unit_cost_cents,
                        })
                        .collect(),
                    priority: b.priority.into(),
                    cost_centre: b.cost_centre,
                    notes: b.notes,
                },
            )
            .await?;
        Ok(OrderCreated::Created(Json(order.into())))
    }

    /// Orders: the officer queue (pending first, most urgent first) for
    /// officers, your own orders for everyone else.
    #[oai(path = "/orders", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        status: Query<Option<OrderStatusDto>>,
        booking_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<Vec<OrderOut>>> {
        let actor = &auth.0.actor;
        let orders = state
            .svc
            .list_orders(status.0.map(Into::into), booking_id.0.map(BookingId))
            .await?;
        Ok(Json(
            orders
                .into_iter()
                .filter(|o| is_officer(actor) || o.requested_by == actor.id)
                .map(Into::into)
                .collect(),
        ))
    }

    /// One order (officers, or the requester).
    #[oai(path = "/orders/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<OrderOut>> {
        let o = state.svc.get_order(OrderId(id.0)).await?;
        if !is_officer(&auth.0.actor) && o.requested_by != auth.0.actor.id {
            return Err(ApiError::forbidden("that order is not yours"));
        }
        Ok(Json(o.into()))
    }

    /// Advance an order: pending → approved → ordered → delivered (officers).
    #[oai(path = "/orders/:id/advance", method = "post")]
    async fn advance(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<OrderOut>> {
        Ok(Json(
            state
                .svc
                .advance_order(&auth.0.actor, OrderId(id.0))
                .await?
                .into(),
        ))
    }

    /// Cancel an order (officers; the requester while it is pending).
    #[oai(path = "/orders/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ReasonIn>,
    ) -> ApiResult<Json<OrderOut>> {
        Ok(Json(
            state
                .svc
                .cancel_order(&auth.0.actor, OrderId(id.0), body.0.reason)
                .await?
                .into(),
        ))
    }

    /// Orders and estimated cost by month and kind (officers).
    #[oai(path = "/orders/report", method = "get")]
    async fn report_json(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<Json<Vec<ReportRow>>> {
        Ok(Json(
            report_rows(&state, &auth.0.actor, from.0, to.0).await?,
        ))
    }

    /// The report as CSV (officers).
    #[oai(path = "/orders/report.csv", method = "get")]
    async fn report_csv(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<CsvResponse> {
        let rows = report_rows(&state, &auth.0.actor, from.0, to.0).await?;
        Ok(CsvResponse::Csv(PlainText(csv_report(rows))))
    }

    /// Every order as CSV, one line per item (officers).
    #[oai(path = "/orders.csv", method = "get")]
    async fn export_csv(&self, state: Data<&AppState>, auth: BearerAuth) -> ApiResult<CsvResponse> {
        if !is_officer(&auth.0.actor) {
            return Err(ApiError::forbidden("exports are for procurement officers"));
        }
        let orders = state.svc.list_orders(None, None).await?;
        Ok(CsvResponse::Csv(PlainText(csv_orders(orders))))
    }
}

pub(crate) async fn report_rows(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<Vec<ReportRow>> {
    if !is_officer(actor) {
        return Err(ApiError::forbidden("reports are for procurement officers"));
    }
    let to = to.unwrap_or_else(|| state.svc.now() + chrono::Duration::days(1));
    let from = from.unwrap_or(to - chrono::Duration::days(366));
    let orders = state.svc.list_orders(None, None).await?;
    Ok(report(&orders, from, to))
}
