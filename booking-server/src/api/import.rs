//! Importing rooms (CSV) and bookings (iCalendar) from another system, with
//! a dry run that reports what would be made and what each rule refuses.

use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::import::{self, Report};
use crate::state::AppState;

pub struct ImportApi;

/// One line of an import report.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportLineOut {
    /// The CSV row (the header is row 1) or the event's position (from 1).
    pub line: u32,
    /// The room's name, or the event's title and UID.
    pub item: String,
    /// created, ok (a dry run would create it), refused or skipped.
    pub outcome: String,
    /// For a refused line: the field at fault.
    pub field: Option<String>,
    /// For a refused line: the rule that refused it (`no_overlap`, `closed`, …).
    pub rule: Option<String>,
    pub detail: String,
    /// What was made: a room, booking or series id.
    pub id: Option<String>,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Object)]
pub struct ImportReportOut {
    pub dry_run: bool,
    pub created: u32,
    /// Lines a dry run would create.
    pub ok: u32,
    pub refused: u32,
    pub skipped: u32,
    pub lines: Vec<ImportLineOut>,
}

fn n(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

impl From<Report> for ImportReportOut {
    fn from(r: Report) -> Self {
        use import::Outcome;
        Self {
            dry_run: r.dry_run,
            created: n(r.count(Outcome::Created)),
            ok: n(r.count(Outcome::Ok)),
            refused: n(r.count(Outcome::Refused)),
            skipped: n(r.count(Outcome::Skipped)),
            lines: r
                .lines
                .into_iter()
                .map(|l| ImportLineOut {
                    line: n(l.line),
                    item: l.item,
                    outcome: l.outcome.as_str().into(),
                    field: l.field,
                    rule: l.rule,
                    detail: l.detail,
                    id: l.id,
                })
                .collect(),
        }
    }
}

fn utf8(body: Vec<u8>) -> ApiResult<String> {
    String::from_utf8(body).map_err(|_| ApiError::bad_request("the file is not UTF-8 text"))
}

#[OpenApi(tag = "ApiTags::Rooms")]
impl ImportApi {
    /// Import rooms from CSV (super_admin): a header row naming the columns
    /// name, category, capacity, floor, location, amenities (separated by
    /// `;`), time_zone, approval_required (yes/no), then one room a row.
    /// `dry_run=true` reports without creating.
    #[oai(path = "/import/rooms", method = "post")]
    async fn rooms(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(default)] dry_run: Query<bool>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ImportReportOut>> {
        let text = utf8(body.0)?;
        let report = import::rooms(&state, &auth.0.actor, &text, dry_run.0).await?;
        Ok(Json(report.into()))
    }

    /// Import bookings from an iCalendar export (super_admin). Each event's
    /// room is the one its LOCATION names (or `room_id`), its organizer the
    /// account of its ORGANIZER (or you); recurring events become series.
    /// Every booking rule applies; `dry_run=true` reports conflicts and rule
    /// breaks (with events of the file overlapping each other) and writes nothing.
    #[oai(path = "/import/bookings", method = "post")]
    async fn bookings(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        #[oai(default)] dry_run: Query<bool>,
        /// The room for events whose LOCATION names none.
        room_id: Query<Option<Uuid>>,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<ImportReportOut>> {
        let text = utf8(body.0)?;
        let report = import::bookings(
            &state,
            &auth.0.actor,
            &text,
            dry_run.0,
            room_id.0.map(booking_core::RoomId),
        )
        .await?;
        Ok(Json(report.into()))
    }
}
