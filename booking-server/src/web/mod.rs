//! The web app at `/`: server-rendered pages (askama templates) over the same
//! [`BookingService`](booking_core::BookingService) the API uses, a session
//! cookie with CSRF tokens on every form, and a few small ES modules of our
//! own that enhance links and forms, follow live changes and let people drag
//! across the board. Every control is a plain link or form first.

mod admin;
mod approvals;
mod assets;
pub mod board;
mod book;
mod calendar;
mod charts;
mod dashboard;
mod display;
mod fields;
mod find;
pub mod grid;
mod guest;
mod mine;
mod orders;
mod page;
mod session;
pub mod text;
mod time;
mod tokens;
mod viewer;

use poem::middleware::Compression;
use poem::{EndpointExt, Route};

use crate::methods::{get, post};

pub use page::{Chrome, html};
pub use session::{SESSION_COOKIE, Viewer, safe_next, signed_in};

/// Add the web app's routes to the server's route table. Pages are
/// compressed; the live stream is not (it must flush each event).
pub fn mount(route: Route) -> Route {
    let z = Compression::new;
    route
        .at("/", get(board::home).with(z()))
        .at(
            "/login",
            get(session::login_page).post(session::login).with(z()),
        )
        .at("/logout", post(session::logout))
        .at("/board", get(board::page).with(z()))
        .at("/book", get(book::form).post(book::submit).with(z()))
        .at(
            "/rooms/:id/request",
            get(guest::form).post(guest::submit).with(z()),
        )
        .at(
            "/guest/:token",
            get(guest::show).post(guest::confirm).with(z()),
        )
        .at("/find", get(find::page).with(z()))
        .at("/my", get(mine::page).with(z()))
        .at("/my/bookings/:id/cancel", post(mine::cancel))
        .at("/my/bookings/:id/check-in", post(mine::check_in))
        .at("/my/series/:id/cancel", post(mine::cancel_series))
        .at("/my/waitlist", post(mine::join_waitlist))
        .at("/my/waitlist/:id/leave", post(mine::leave_waitlist))
        .at("/series/:id", get(mine::series).with(z()))
        .at("/approvals", get(approvals::queue).with(z()))
        .at("/approvals/:id", get(approvals::one).with(z()))
        .at("/approvals/:id/approve", post(approvals::approve))
        .at("/approvals/:id/reject", post(approvals::reject))
        .at("/calendar", get(calendar::page).with(z()))
        .at("/calendar/rotate", post(calendar::rotate))
        .at("/calendar/link-code", post(calendar::link_code).with(z()))
        .at("/admin", get(admin::rooms::list).with(z()))
        .at("/admin/rooms", get(admin::rooms::list).with(z()))
        .at(
            "/admin/rooms/new",
            get(admin::rooms::new_form)
                .post(admin::rooms::create)
                .with(z()),
        )
        .at(
            "/admin/rooms/:id",
            get(admin::rooms::edit_form)
                .post(admin::rooms::update)
                .with(z()),
        )
        .at("/admin/rooms/:id/delete", post(admin::rooms::delete))
        .at("/admin/rooms/:id/parts", post(admin::room_parts::save))
        .at("/admin/rooms/:id/restore", post(admin::rooms::restore))
        .at(
            "/admin/rooms/:id/displays",
            post(admin::rooms::add_display).with(z()),
        )
        .at(
            "/admin/displays/:id/revoke",
            post(admin::rooms::revoke_display),
        )
        .at("/admin/users", get(admin::users::list).with(z()))
        .at(
            "/admin/users/:id",
            get(admin::users::edit_form)
                .post(admin::users::update)
                .with(z()),
        )
        .at("/admin/audit", get(admin::audit::page).with(z()))
        .at(
            "/admin/import",
            get(admin::import::page).post(admin::import::run).with(z()),
        )
        .at(
            "/admin/closures",
            get(admin::closures::list)
                .post(admin::closures::create)
                .with(z()),
        )
        .at("/admin/closures/:id/delete", post(admin::closures::delete))
        .at(
            "/admin/webhooks",
            get(admin::webhooks::list)
                .post(admin::webhooks::create)
                .with(z()),
        )
        .at(
            "/admin/webhooks/:id",
            get(admin::webhooks::detail)
                .post(admin::webhooks::update)
                .with(z()),
        )
        .at(
            "/admin/webhooks/:id/deliveries/:delivery/redeliver",
            post(admin::webhooks::redeliver),
        )
        .at("/admin/webhooks/:id/:action", post(admin::webhooks::action))
        .at("/tokens", get(tokens::page).post(tokens::create).with(z()))
        .at("/tokens/:id/revoke", post(tokens::revoke))
        .at("/orders", get(orders::queue).with(z()))
        .at("/orders/report.csv", get(orders::report_csv).with(z()))
        .at("/orders/export.csv", get(orders::export_csv).with(z()))
        .at("/orders/:id/advance", post(orders::advance))
        .at("/orders/:id/cancel", post(orders::cancel))
        .at(
            "/orders/:id/requisition",
            get(orders::requisition).with(z()),
        )
        .at("/dashboard", get(dashboard::page).with(z()))
        .at("/dashboard/:file", get(dashboard::csv).with(z()))
        .at("/display/:room", get(display::page).with(z()))
        .at("/display/:room/book", post(display::book))
        .at("/display/:room/check-in", post(display::check_in))
        .at("/display/:room/live", get(display::live))
        .at("/assets/:file", get(assets::serve).with(z()))
        .at("/live", get(board::live))
}
