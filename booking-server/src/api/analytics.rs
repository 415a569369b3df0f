//! Analytics for dashboards and BI tools, as JSON and as CSV.

use booking_core::analytics::{Bucket, HeatCell, RoomSummary, UtilisationRow};
use booking_core::{Actor, Role, Room, RoomListing};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum BucketDto {
    Hour,
    Day,
}

/// Booked versus available minutes of a room in a UTC bucket.
#[derive(Debug, Object)]
pub struct UtilisationOut {
    pub room_id: Uuid,
    pub room_name: String,
    pub bucket_start: DateTime<Utc>,
    pub bookings: i64,
    pub booked_minutes: i64,
    pub available_minutes: i64,
    pub utilisation: f64,
}

/// Bookings by weekday (0 = Monday) and UTC hour.
#[derive(Debug, Object)]
pub struct HeatCellOut {
    pub weekday: u32,
    pub hour: u32,
    pub bookings: i64,
    pub booked_minutes: i64,
}

/// Per-room figures over the range, busiest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RoomSummaryOut {
    pub room_id: Uuid,
    pub room_name: String,
    pub capacity: u32,
    pub bookings: i64,
    pub cancellations: i64,
    pub rejections: i64,
    pub no_shows: i64,
    pub no_show_rate: f64,
    pub approval_lead_minutes: Option<f64>,
    pub attendee_fit: Option<f64>,
}

#[derive(ApiResponse)]
pub enum CsvResponse {
    /// RFC 4180 CSV with a header row.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(PlainText<String>),
}

/// One CSV field, quoted when needed (RFC 4180).
/// One CSV cell. A text that a spreadsheet would run as a formula (it starts
/// with `= + - @`, a tab or a CR) gets a leading `'`, as OWASP recommends;
/// numbers such as `-3` stay numbers.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.4}")).unwrap_or_default()
}

/// The rooms whose figures the caller may see.
pub(crate) async fn scope(state: &AppState, actor: &Actor) -> ApiResult<Vec<Room>> {
    match actor.role {
        Role::SuperAdmin | Role::ProcurementOfficer | Role::RoomAdmin => {}
        Role::User => {
            return Err(ApiError::forbidden(
                "analytics are for room admins, procurement officers and super_admins",
            ));
        }
    }
    let rooms = state.svc.list_rooms(RoomListing::Current).await?;
    Ok(rooms
        .into_iter()
        .filter(|r| actor.role != Role::RoomAdmin || actor.manages_room(r.id))
        .collect())
}

pub(crate) fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = to.unwrap_or(now);
    (from.unwrap_or(to - chrono::Duration::days(30)), to)
}

pub(crate) async fn utilisation(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    bucket: Option<BucketDto>,
) -> ApiResult<Vec<UtilisationRow>> {
    let rooms = scope(state, actor).await?;
    let (from, to) = range(from, to, state.svc.now());
    let bucket = match bucket.unwrap_or(BucketDto::Day) {
        BucketDto::Hour => Bucket::Hour,
        BucketDto::Day => Bucket::Day,
    };
    Ok(state.svc.utilisation(&rooms, from, to, bucket).await?)
}

pub(crate) async fn heat(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<Vec<HeatCell>> {
    if !matches!(actor.role, Role::SuperAdmin | Role::ProcurementOfficer) {
        return Err(ApiError::forbidden(format!(
            "role {} may not see the all-room heat map",
            actor.role
        )));
    }
    let (from, to) = range(from, to, state.svc.now());
    Ok(state.svc.heat_map(from, to).await?)
}

pub(crate) async fn summaries(
    state: &AppState,
    actor: &Actor,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ApiResult<Vec<RoomSummary>> {
    let rooms = scope(state, actor).await?;
    let (from, to) = range(from, to, state.svc.now());
    Ok(state.svc.room_summaries(&rooms, from, to).await?)
}

/// The CSV the API and the web app's download links answer.
pub(crate) fn csv_utilisation(rows: Vec<UtilisationRow>) -> String {
    csv(
        &[
            "room_id",
            "room_name",
            "bucket_start",
            "bookings",
            "booked_minutes",
            "available_minutes",
            "utilisation",
        ],
        rows.into_iter().map(|u| {
            vec![
                u.room_id.to_string(),
                u.room_name,
                u.bucket_start.to_rfc3339(),
                u.bookings.to_string(),
                u.booked_minutes.to_string(),
                u.available_minutes.to_string(),
                format!("{:.4}", u.utilisation),
            ]
        }),
    )
}

/// The CSV the API and the web app's download links answer.
pub(crate) fn csv_heat(cells: Vec<HeatCell>) -> String {
    csv(
        &["weekday", "hour", "bookings", "booked_minutes"],
        cells.into_iter().map(|c| {
            vec![
                c.weekday.to_string(),
                c.hour.to_string(),
                c.bookings.to_string(),
                c.booked_minutes.to_string(),
            ]
        }),
    )
}

/// The CSV the API and the web app's download links answer.
pub(crate) fn csv_rooms(rows: Vec<RoomSummary>) -> String {
    csv(
        &[
            "room_id",
            "room_name",
            "capacity",
            "bookings",
            "cancellations",
            "rejections",
            "no_shows",
            "no_show_rate",
            "approval_lead_minutes",
            "attendee_fit",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.room_id.to_string(),
                r.room_name,
                r.capacity.to_string(),
                r.bookings.to_string(),
                r.cancellations.to_string(),
                r.rejections.to_string(),
                r.no_shows.to_string(),
                format!("{:.4}", r.no_show_rate),
                opt(r.approval_lead_minutes),
                opt(r.attendee_fit),
            ]
        }),
    )
}

pub struct AnalyticsApi;

#[OpenApi(tag = "ApiTags::Analytics")]
impl AnalyticsApi {
    /// Utilisation per room and UTC day or hour (default: the last 30 days, by day;
    /// hours are limited to 31 days, days to 366). Room admins see their rooms.
    #[oai(path = "/analytics/utilisation", method = "get")]
    async fn utilisation_json(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        bucket: Query<Option<BucketDto>>,
    ) -> ApiResult<Json<Vec<UtilisationOut>>> {
        let rows = utilisation(&state, &auth.0.actor, from.0, to.0, bucket.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|u| UtilisationOut {
                    room_id: u.room_id.0,
                    room_name: u.room_name,
                    bucket_start: u.bucket_start,
                    bookings: u.bookings,
                    booked_minutes: u.booked_minutes,
                    available_minutes: u.available_minutes,
                    utilisation: u.utilisation,
                })
                .collect(),
        ))
    }

    /// The utilisation report as CSV.
    #[oai(path = "/analytics/utilisation.csv", method = "get")]
    async fn utilisation_csv(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        bucket: Query<Option<BucketDto>>,
    ) -> ApiResult<CsvResponse> {
        let rows = utilisation(&state, &auth.0.actor, from.0, to.0, bucket.0).await?;
        Ok(CsvResponse::Csv(PlainText(csv_utilisation(rows))))
    }

    /// Bookings by weekday × hour over all rooms (super_admin, procurement officer).
    #[oai(path = "/analytics/heatmap", method = "get")]
    async fn heatmap_json(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<Json<Vec<HeatCellOut>>> {
        let cells = heat(&state, &auth.0.actor, from.0, to.0).await?;
        Ok(Json(
            cells
                .into_iter()
                .map(|c| HeatCellOut {
                    weekday: c.weekday,
                    hour: c.hour,
                    bookings: c.bookings,
                    booked_minutes: c.booked_minutes,
                })
                .collect(),
        ))
    }

    /// The heat map as CSV.
    #[oai(path = "/analytics/heatmap.csv", method = "get")]
    async fn heatmap_csv(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<CsvResponse> {
        let cells = heat(&state, &auth.0.actor, from.0, to.0).await?;
        Ok(CsvResponse::Csv(PlainText(csv_heat(cells))))
    }

    /// No-show rate, approval lead time, cancellations, rejections and
    /// attendee fit per room, busiest (top) rooms first.
    #[oai(path = "/analytics/rooms", method = "get")]
    async fn rooms_json(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<Json<Vec<RoomSummaryOut>>> {
        let rows = summaries(&state, &auth.0.actor, from.0, to.0).await?;
        Ok(Json(
            rows.into_iter()
                .map(|r| RoomSummaryOut {
                    room_id: r.room_id.0,
                    room_name: r.room_name,
                    capacity: r.capacity,
                    bookings: r.bookings,
                    cancellations: r.cancellations,
                    rejections: r.rejections,
                    no_shows: r.no_shows,
                    no_show_rate: r.no_show_rate,
                    approval_lead_minutes: r.approval_lead_minutes,
                    attendee_fit: r.attendee_fit,
                })
                .collect(),
        ))
    }

    /// The per-room figures as CSV.
    #[oai(path = "/analytics/rooms.csv", method = "get")]
    async fn rooms_csv(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<CsvResponse> {
        let rows = summaries(&state, &auth.0.actor, from.0, to.0).await?;
        Ok(CsvResponse::Csv(PlainText(csv_rooms(rows))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let out = csv(
            &["a", "b"],
            vec![
                vec!["Room, \"big\"".into(), "x".into()],
                vec!["line\nbreak".into(), "".into()],
            ],
        );
        assert_eq!(
            out,
            "a,b\r\n\"Room, \"\"big\"\"\",x\r\n\"line\nbreak\",\r\n"
        );
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        // OWASP: a spreadsheet runs cells starting with = + - @ tab or CR.
        let out = csv(
            &["cost_centre", "item", "n"],
            vec![
                vec![
                    "@SUM(1+1)*cmd|' /C calc'!A0".into(),
                    "=HYPERLINK(\"http://x\")".into(),
                    "-3".into(),
                ],
                vec!["+A1*2".into(), "\tTab".into(), "-0.25".into()],
            ],
        );
        let rows: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(
            rows[1],
            "'@SUM(1+1)*cmd|' /C calc'!A0,\"'=HYPERLINK(\"\"http://x\"\")\",-3"
        );
        assert_eq!(rows[2], "'+A1*2,'\tTab,-0.25", "numbers stay numbers");
    }
}
