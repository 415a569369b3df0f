//! `/orders`: the procurement officer's queue — open orders, most urgent
//! first, advanced one step at a time or cancelled with a reason — the
//! monthly report, CSV downloads, and a printable requisition per order.

use std::collections::HashMap;

use askama::Template;
use booking_core::procurement::{Order, OrderId, OrderStatus, is_officer, next_status};
use booking_core::{Room, RoomId, RoomListing, User, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::board::viewer_zone;
use super::fields::Fields;
use super::page::{
    Chrome, api_error_page, core_error_page, csv_download, error_page, error_redirect, explain,
    flash_redirect, render,
};
use super::session::{Posted, Viewer};
use super::{text, time};
use crate::api::procurement::{csv_orders, csv_report, report_rows};
use crate::state::AppState;

/// Cents as "1,234.50".
pub fn money(cents: u64) -> String {
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}.{:02}", cents % 100)
}

fn step_label(s: OrderStatus) -> Option<&'static str> {
    match next_status(s)? {
        OrderStatus::Approved => Some("Approve"),
        OrderStatus::Ordered => Some("Mark as ordered"),
        OrderStatus::Delivered => Some("Mark as delivered"),
        OrderStatus::Pending | OrderStatus::Cancelled => None,
    }
}

/// An order as the queue shows it.
pub struct OrderRow {
    pub id: String,
    pub short: String,
    pub kind: String,
    pub priority: String,
    pub status: String,
    pub items: String,
    pub total: String,
    pub cost_centre: String,
    pub booking: String,
    pub requester: String,
    pub needs_review: bool,
    pub notice: Option<String>,
    pub advance: Option<&'static str>,
    pub cancellable: bool,
}

pub struct ReportLine {
    pub period: String,
    pub kind: String,
    pub orders: u64,
    pub delivered: u64,
    pub cancelled: u64,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct QueuePage {
    c: Chrome,
    tabs: Vec<(String, String, bool)>,
    orders: Vec<OrderRow>,
    report: Vec<ReportLine>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    status: String,
    flash: Option<String>,
    tz: Option<String>,
}

/// Names of rooms and people, looked up once per page.
struct Names {
    rooms: HashMap<RoomId, Room>,
    users: HashMap<UserId, User>,
}

impl Names {
    async fn load(state: &AppState) -> Result<Self, booking_core::CoreError> {
        Ok(Self {
            rooms: state
                .svc
                .list_rooms(RoomListing::WithDeleted)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect(),
            users: state
                .store
                .list_users()
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect(),
        })
    }

    fn person(&self, id: UserId) -> String {
        self.users.get(&id).map_or_else(
            || id.to_string(),
            |u| format!("{} <{}>", u.display_name, u.email),
        )
    }
}

async fn booking_line(state: &AppState, names: &Names, o: &Order, tz: chrono_tz::Tz) -> String {
    match state.svc.get_booking(o.booking_id).await {
        Ok(b) => {
            let room = names.rooms.get(&b.room_id).map_or("", |r| r.name.as_str());
            format!(
                "{} · {} · {}",
                b.title,
                room,
                time::range(tz, b.start, b.end)
            )
        }
        Err(_) => o.booking_id.to_string(),
    }
}

/// `GET /orders`
#[handler]
pub async fn queue(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<QueueQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_ORDERS, "orders")
        .flash_from(&state, q.flash.as_deref())
        .live();
    if !is_officer(&viewer.actor) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_OFFICER);
    }
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let status = match q.status.as_str() {
        "" | "open" => None,
        s => match s.parse::<OrderStatus>() {
            Ok(s) => Some(s),
            Err(e) => return error_page(c, StatusCode::BAD_REQUEST, e.to_string()),
        },
    };
    let names = match Names::load(&state).await {
        Ok(n) => n,
        Err(e) => return core_error_page(c, e),
    };
    let list = match state.svc.list_orders(status, None).await {
        Ok(l) => l,
        Err(e) => return core_error_page(c, e),
    };
    let mut orders = Vec::new();
    for o in list.iter().filter(|o| {
        status.is_some() || !matches!(o.status, OrderStatus::Delivered | OrderStatus::Cancelled)
    }) {
        orders.push(OrderRow {
            id: o.id.to_string(),
            short: short_id(o.id),
            kind: o.kind.to_string(),
            priority: o.priority.to_string(),
            status: o.status.to_string(),
            items: o
                .items
                .iter()
                .map(|i| format!("{} × {}", i.quantity, i.name))
                .collect::<Vec<_>>()
                .join(", "),
            total: money(o.estimated_cost_cents()),
            cost_centre: o.cost_centre.clone(),
            booking: booking_line(&state, &names, o, tz).await,
            requester: names.person(o.requested_by),
            needs_review: o.needs_review,
            notice: o.notice.clone(),
            advance: step_label(o.status),
            cancellable: !matches!(o.status, OrderStatus::Delivered | OrderStatus::Cancelled),
        });
    }
    let report = match report_rows(&state, &viewer.actor, None, None).await {
        Ok(rows) => rows
            .into_iter()
            .map(|r| ReportLine {
                period: r.period,
                kind: booking_core::procurement::OrderKind::from(r.kind).to_string(),
                orders: r.orders,
                delivered: r.delivered,
                cancelled: r.cancelled,
                cost: money(r.estimated_cost_cents),
            })
            .collect(),
        Err(e) => return api_error_page(c, e),
    };
    let chosen = q.status.as_str();
    let mut tabs = vec![(
        "open".to_string(),
        "Open".to_string(),
        chosen.is_empty() || chosen == "open",
    )];
    for s in OrderStatus::ALL {
        tabs.push((
            s.as_str().to_string(),
            text::order_status(*s).to_string(),
            chosen == s.as_str(),
        ));
    }
    render(
        StatusCode::OK,
        &QueuePage {
            c,
            tabs,
            orders,
            report,
        },
    )
}

/// The first block of an order id: what people quote on the phone.
pub fn short_id(id: OrderId) -> String {
    id.to_string()
        .chars()
        .take(8)
        .collect::<String>()
        .to_uppercase()
}

async fn act(
    state: &AppState,
    id: &str,
    p: Posted<Vec<(String, String)>>,
    forward: bool,
) -> Response {
    let Ok(id) = id.parse::<OrderId>() else {
        return error_redirect(state, "/orders", text::NOT_FOUND);
    };
    let f = Fields::new(p.form);
    let back = match f.v("back") {
        "requisition" => format!("/orders/{id}/requisition"),
        _ => "/orders".to_string(),
    };
    let done = if forward {
        state.svc.advance_order(&p.viewer.actor, id).await
    } else {
        let reason = Some(f.v("reason").to_string()).filter(|r| !r.is_empty());
        state.svc.cancel_order(&p.viewer.actor, id, reason).await
    };
    match done {
        Ok(o) => flash_redirect(state, &back, "", &text::order_advanced(o.status)),
        Err(e) => error_redirect(state, &back, &explain(e).1),
    }
}

/// `POST /orders/{id}/advance`
#[handler]
pub async fn advance(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    act(&state, &id, p, true).await
}

/// `POST /orders/{id}/cancel`
#[handler]
pub async fn cancel(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    act(&state, &id, p, false).await
}

/// `GET /orders/report.csv`: orders and cost by month and kind.
#[handler]
pub async fn report_csv(state: Data<&AppState>, viewer: Viewer) -> Response {
    match report_rows(&state, &viewer.actor, None, None).await {
        Ok(rows) => csv_download("orders-report.csv", csv_report(rows)),
        Err(e) => api_error_page(Chrome::new(&viewer, text::TITLE_ORDERS, "orders"), e),
    }
}

/// `GET /orders/export.csv`: every order, one line per item.
#[handler]
pub async fn export_csv(state: Data<&AppState>, viewer: Viewer) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_ORDERS, "orders");
    if !is_officer(&viewer.actor) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_OFFICER);
    }
    match state.svc.list_orders(None, None).await {
        Ok(orders) => csv_download("orders.csv", csv_orders(orders)),
        Err(e) => core_error_page(c, e),
    }
}

pub struct ItemLine {
    pub name: String,
    pub quantity: u32,
    pub unit: String,
    pub total: String,
}

pub struct TrailLine {
    pub at: String,
    pub who: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "requisition.html")]
struct RequisitionPage {
    c: Chrome,
    id: String,
    short: String,
    raised: String,
    status: String,
    kind: String,
    priority: String,
    cost_centre: String,
    requester: String,
    notes: String,
    notice: Option<String>,
    items: Vec<ItemLine>,
    total: String,
    booking_title: String,
    booking_room: String,
    booking_when: String,
    booking_organizer: String,
    attendees: u32,
    trail: Vec<TrailLine>,
    advance: Option<&'static str>,
    zone: String,
}

fn trail_words(action: &str) -> String {
    match action {
        "order.create" => "Requested".into(),
        "order.approved" => "Approved".into(),
        "order.ordered" => "Ordered from the supplier".into(),
        "order.delivered" => "Delivered".into(),
        "order.cancel" => "Cancelled".into(),
        other => other.to_string(),
    }
}

/// `GET /orders/{id}/requisition`: the paper form, filled in; prints on A4.
#[handler]
pub async fn requisition(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<QueueQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_REQUISITION, "orders")
        .flash_from(&state, q.flash.as_deref());
    let Ok(id) = id.parse::<OrderId>() else {
        return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND);
    };
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let (o, history, names) = match async {
        let o = state.svc.get_order(id).await?;
        let history = state.svc.order_history(&viewer.actor, id).await?;
        let names = Names::load(&state).await?;
        Ok::<_, booking_core::CoreError>((o, history, names))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return core_error_page(c, e),
    };
    let b = state.svc.get_booking(o.booking_id).await.ok();
    let page = RequisitionPage {
        c: Chrome {
            title: format!("Requisition {}", short_id(o.id)),
            ..c
        },
        id: o.id.to_string(),
        short: short_id(o.id),
        raised: time::stamp(tz, o.created_at),
        status: text::order_status(o.status).to_string(),
        kind: o.kind.to_string(),
        priority: o.priority.to_string(),
        cost_centre: o.cost_centre.clone(),
        requester: names.person(o.requested_by),
        notes: o.notes.clone(),
        notice: o.notice.clone(),
        items: o
            .items
            .iter()
            .map(|i| ItemLine {
                name: i.name.clone(),
                quantity: i.quantity,
                unit: money(i.unit_cost_cents),
                total: money(u64::from(i.quantity).saturating_mul(i.unit_cost_cents)),
            })
            .collect(),
        total: money(o.estimated_cost_cents()),
        booking_title: b.as_ref().map(|b| b.title.clone()).unwrap_or_default(),
        booking_room: b
            .as_ref()
            .and_then(|b| names.rooms.get(&b.room_id))
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        booking_when: b
            .as_ref()
            .map(|b| time::range(tz, b.start, b.end))
            .unwrap_or_default(),
        booking_organizer: b
            .as_ref()
            .map(|b| names.person(b.organizer_id))
            .unwrap_or_default(),
        attendees: b.as_ref().map_or(0, |b| b.attendees),
        trail: history
            .iter()
            .map(|e| TrailLine {
                at: time::stamp(tz, e.at),
                who: e
                    .actor_id
                    .map_or_else(|| "the system".to_string(), |a| names.person(a)),
                what: trail_words(&e.action),
            })
            .collect(),
        advance: if is_officer(&viewer.actor) {
            step_label(o.status)
        } else {
            None
        },
        zone: tz.name().to_string(),
    };
    render(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_groups_thousands_and_keeps_cents() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(123_456), "1,234.56");
        assert_eq!(money(100_000_000), "1,000,000.00");
    }
}
