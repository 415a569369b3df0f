//! `/admin/import`: rooms from a CSV file and bookings from an iCalendar
//! export (super admins). "Check" runs the dry run and shows, line by line,
//! what would be made and what refuses it; "Import" does it. The files are
//! pasted or picked (a small script reads a picked file into the box).

use askama::Template;
use booking_core::RoomListing;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};

use super::is_super;
use super::rooms::FlashQuery;
use crate::import::{self, Outcome, Report};
use crate::state::AppState;
use crate::web::fields::{Fields, Problem};
use crate::web::page::{Chrome, core_error_page, error_page, explain, render};
use crate::web::session::{Posted, Viewer};
use crate::web::text;

pub struct ReportView {
    pub title: String,
    pub lines: Vec<import::Line>,
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    c: Chrome,
    f: Fields,
    rooms: Vec<(String, String, bool)>,
    report: Option<ReportView>,
    problem: Option<Problem>,
    columns: String,
}

async fn show(
    state: &AppState,
    c: Chrome,
    f: Fields,
    report: Option<ReportView>,
    problem: Option<Problem>,
    status: StatusCode,
) -> Response {
    let rooms = match state.svc.list_rooms(RoomListing::Current).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let view = ImportPage {
        rooms: rooms
            .into_iter()
            .map(|r| {
                let id = r.id.to_string();
                let on = f.v("room_id") == id;
                (id, r.name, on)
            })
            .collect(),
        c,
        f,
        report,
        problem,
        columns: import::ROOM_COLUMNS.join(","),
    };
    render(status, &view)
}

/// `GET /admin/import`
#[handler]
pub async fn page(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c =
        Chrome::new(&viewer, text::TITLE_IMPORT, "import").flash_from(&state, q.flash.as_deref());
    if !is_super(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_SUPER_ADMIN);
    }
    show(&state, c, Fields::default(), None, None, StatusCode::OK).await
}

fn title(what: &str, r: &Report) -> String {
    if r.dry_run {
        format!(
            "Check of the {what}: {} would be made, {} refused, {} skipped. Nothing was written.",
            r.count(Outcome::Ok),
            r.count(Outcome::Refused),
            r.count(Outcome::Skipped)
        )
    } else {
        format!(
            "Import of the {what}: {} made, {} refused, {} skipped.",
            r.count(Outcome::Created),
            r.count(Outcome::Refused),
            r.count(Outcome::Skipped)
        )
    }
}

/// `POST /admin/import`: `kind` rooms or bookings, `action` check or import.
#[handler]
pub async fn run(state: Data<&AppState>, p: Posted<Vec<(String, String)>>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_IMPORT, "import");
    let f = Fields::new(p.form);
    let dry_run = f.v("action") != "import";
    let actor = &p.viewer.actor;
    let result = match f.v("kind") {
        "rooms" => import::rooms(&state, actor, f.v("csv"), dry_run)
            .await
            .map(|r| ("rooms", r)),
        _ => {
            let room = f.v("room_id").parse().ok();
            import::bookings(&state, actor, f.v("ics"), dry_run, room)
                .await
                .map(|r| ("bookings", r))
        }
    };
    match result {
        Ok((what, r)) => {
            let view = ReportView {
                title: title(what, &r),
                lines: r.lines,
            };
            show(&state, c, f, Some(view), None, StatusCode::OK).await
        }
        Err(e) => {
            let field = match &e {
                booking_core::CoreError::Input(i) => i.field().to_string(),
                _ => String::new(),
            };
            let (status, msg) = explain(e);
            show(&state, c, f, None, Some(Problem::new(field, msg)), status).await
        }
    }
}
