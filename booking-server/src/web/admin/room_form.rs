//! The room form: a room and its whole policy as form fields, both ways —
//! a room shown as fields, and fields read back into a [`RoomSpec`] with a
//! [`Problem`] naming the field and the rule when they do not make one.

use std::collections::BTreeSet;

use booking_core::{
    BusinessHours, CheckInPolicy, DayHours, Quota, QuotaPeriod, Role, RoomCategory, RoomPolicy,
    RoomSpec,
};
use chrono::NaiveTime;

use crate::web::fields::{Fields, Problem};
use crate::web::text;

/// Monday first, as the core counts weekdays.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Quota rows the form offers.
pub const QUOTA_ROWS: usize = 3;

const WHOLE: &str = "give a whole number of 0 or more";

/// One weekday's row of the form.
#[derive(Debug, Clone)]
pub struct DayRow {
    pub i: usize,
    pub name: &'static str,
    pub open: String,
    pub close: String,
}

/// One quota row of the form.
#[derive(Debug, Clone)]
pub struct QuotaRow {
    pub i: usize,
    pub period: String,
    pub bookings: String,
    pub minutes: String,
}

/// An option of a select or checkbox group: value, label, chosen.
pub type Choice = (String, String, bool);

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// A room (or the defaults of a new one) as the form's fields.
pub fn to_fields(spec: &RoomSpec) -> Fields {
    let mut f = Fields::default();
    let p = &spec.policy;
    f.set("name", &spec.name);
    f.set("category", spec.category.as_str());
    f.set("capacity", spec.capacity.to_string());
    f.set(
        "floor",
        spec.floor.map(|x| x.to_string()).unwrap_or_default(),
    );
    f.set("location", &spec.location);
    f.set(
        "amenities",
        spec.amenities
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    );
    f.set("time_zone", &spec.time_zone);
    if spec.active {
        f.set("active", "on");
    }
    f.set("booking_window_days", p.booking_window_days.to_string());
    f.set("min_duration_minutes", p.min_duration_minutes.to_string());
    f.set("max_duration_minutes", p.max_duration_minutes.to_string());
    f.set("buffer_before_minutes", p.buffer_before_minutes.to_string());
    f.set("buffer_after_minutes", p.buffer_after_minutes.to_string());
    if p.approval_required {
        f.set("approval_required", "on");
    }
    f.set(
        "max_active_bookings_per_user",
        p.max_active_bookings_per_user
            .map(|x| x.to_string())
            .unwrap_or_default(),
    );
    for r in &p.allowed_roles {
        f.add("allowed_roles", r.as_str());
    }
    f.set("series_max_conflicts", p.series_max_conflicts.to_string());
    f.set(
        "series_max_conflict_percent",
        p.series_max_conflict_percent.to_string(),
    );
    for (i, day) in p.business_hours.0.iter().enumerate() {
        if let Some(h) = day {
            f.set(&format!("open_{i}"), hhmm(h.open));
            f.set(&format!("close_{i}"), hhmm(h.close));
        }
    }
    if let Some(c) = &p.check_in {
        f.set("check_in", "on");
        f.set("check_in_before", c.opens_minutes_before.to_string());
        f.set("check_in_release", c.release_after_minutes.to_string());
        f.set("check_in_code", c.room_code.clone().unwrap_or_default());
    } else {
        f.set("check_in_before", "15");
        f.set("check_in_release", "15");
    }
    for (i, q) in p.quotas.iter().take(QUOTA_ROWS).enumerate() {
        f.set(&format!("quota_period_{i}"), q.period.as_str());
        if let Some(n) = q.max_bookings {
            f.set(&format!("quota_bookings_{i}"), n.to_string());
        }
        if let Some(n) = q.max_minutes {
            f.set(&format!("quota_minutes_{i}"), n.to_string());
        }
    }
    if p.public_feed {
        f.set("public_feed", "on");
    }
    if p.feed_hides_details {
        f.set("feed_hides_details", "on");
    }
    if p.guest_requests {
        f.set("guest_requests", "on");
    }
    f
}

fn time(f: &Fields, k: &str) -> Result<Option<NaiveTime>, Problem> {
    match f.v(k) {
        "" => Ok(None),
        "24:00" => Ok(Some(NaiveTime::MIN)),
        v => NaiveTime::parse_from_str(v, "%H:%M")
            .map(Some)
            .map_err(|_| Problem::new(k, "give a time as HH:MM")),
    }
}

fn hours(f: &Fields) -> Result<BusinessHours, Problem> {
    let mut days = [None; 7];
    for (i, day) in days.iter_mut().enumerate() {
        let open = time(f, &format!("open_{i}"))?;
        let close = time(f, &format!("close_{i}"))?;
        *day = match (open, close) {
            (None, None) => None,
            (Some(open), Some(close)) => {
                let h = DayHours::new(open, close);
                if !h.closes_at_midnight() && h.close <= h.open {
                    return Err(Problem::new(
                        format!("close_{i}"),
                        format!(
                            "{} closes before it opens (00:00 means midnight)",
                            WEEKDAYS[i]
                        ),
                    ));
                }
                Some(h)
            }
            _ => {
                return Err(Problem::new(
                    format!("open_{i}"),
                    format!(
                        "{}: give both the opening and the closing time, or neither (closed)",
                        WEEKDAYS[i]
                    ),
                ));
            }
        };
    }
    Ok(BusinessHours(days))
}

fn quotas(f: &Fields) -> Result<Vec<Quota>, Problem> {
    let mut out = Vec::new();
    for i in 0..QUOTA_ROWS {
        let period = f.v(&format!("quota_period_{i}"));
        let bookings = f.opt_num(&format!("quota_bookings_{i}"), WHOLE)?;
        let minutes = f.opt_num(&format!("quota_minutes_{i}"), WHOLE)?;
        if period.is_empty() {
            if bookings.is_some() || minutes.is_some() {
                return Err(Problem::new(
                    format!("quota_period_{i}"),
                    "choose the period the limit counts over",
                ));
            }
            continue;
        }
        let period: QuotaPeriod =
            f.choice(&format!("quota_period_{i}"), "choose day, week or month")?;
        if bookings.is_none() && minutes.is_none() {
            return Err(Problem::new(
                format!("quota_bookings_{i}"),
                "give a number of bookings, of minutes, or both",
            ));
        }
        out.push(Quota {
            period,
            max_bookings: bookings,
            max_minutes: minutes,
        });
    }
    Ok(out)
}

/// Read the form into a room. The service checks the rest (name, capacity,
/// durations, the time zone) and its errors name the field too.
pub fn read(f: &Fields) -> Result<RoomSpec, Problem> {
    let mut allowed_roles = BTreeSet::new();
    for r in f.all("allowed_roles") {
        allowed_roles.insert(
            r.parse::<Role>()
                .map_err(|_| Problem::new("allowed_roles", "choose roles from the list"))?,
        );
    }
    if allowed_roles.is_empty() {
        return Err(Problem::new(
            "allowed_roles",
            "tick at least one role that may book the room",
        ));
    }
    let check_in = if f.on("check_in") {
        Some(CheckInPolicy {
            opens_minutes_before: f.num("check_in_before", WHOLE)?,
            release_after_minutes: f.num("check_in_release", WHOLE)?,
            room_code: Some(f.v("check_in_code").to_string()).filter(|c| !c.is_empty()),
        })
    } else {
        None
    };
    let policy = RoomPolicy {
        booking_window_days: f.num("booking_window_days", WHOLE)?,
        min_duration_minutes: f.num("min_duration_minutes", WHOLE)?,
        max_duration_minutes: f.num("max_duration_minutes", WHOLE)?,
        business_hours: hours(f)?,
        buffer_before_minutes: f.num("buffer_before_minutes", WHOLE)?,
        buffer_after_minutes: f.num("buffer_after_minutes", WHOLE)?,
        approval_required: f.on("approval_required"),
        max_active_bookings_per_user: f.opt_num("max_active_bookings_per_user", WHOLE)?,
        allowed_roles,
        series_max_conflicts: f.num("series_max_conflicts", WHOLE)?,
        series_max_conflict_percent: f.num("series_max_conflict_percent", "give 0 to 100")?,
        check_in,
        quotas: quotas(f)?,
        public_feed: f.on("public_feed"),
        feed_hides_details: f.on("feed_hides_details"),
        guest_requests: f.on("guest_requests"),
    };
    Ok(RoomSpec {
        name: f.v("name").to_string(),
        category: f.choice("category", "choose a category from the list")?,
        capacity: f.num("capacity", "give the number of seats, at least 1")?,
        floor: f.opt_num(
            "floor",
            "give the floor as a whole number, or leave it empty",
        )?,
        location: f.v("location").to_string(),
        amenities: f
            .v("amenities")
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        time_zone: f.v("time_zone").to_string(),
        active: f.on("active"),
        policy,
    })
}

/// The form's rows and choices, from its fields.
pub struct View {
    pub days: Vec<DayRow>,
    pub quotas: Vec<QuotaRow>,
    pub categories: Vec<Choice>,
    pub roles: Vec<Choice>,
    pub periods: Vec<String>,
}

impl View {
    pub fn of(f: &Fields) -> Self {
        Self {
            days: WEEKDAYS
                .iter()
                .enumerate()
                .map(|(i, name)| DayRow {
                    i,
                    name,
                    open: f.v(&format!("open_{i}")).to_string(),
                    close: f.v(&format!("close_{i}")).to_string(),
                })
                .collect(),
            quotas: (0..QUOTA_ROWS)
                .map(|i| QuotaRow {
                    i,
                    period: f.v(&format!("quota_period_{i}")).to_string(),
                    bookings: f.v(&format!("quota_bookings_{i}")).to_string(),
                    minutes: f.v(&format!("quota_minutes_{i}")).to_string(),
                })
                .collect(),
            categories: RoomCategory::ALL
                .iter()
                .map(|c| {
                    let v = c.as_str();
                    (
                        v.to_string(),
                        text::category(*c).to_string(),
                        f.v("category") == v,
                    )
                })
                .collect(),
            roles: Role::ALL
                .iter()
                .map(|r| {
                    let v = r.as_str();
                    (
                        v.to_string(),
                        text::role(*r).to_string(),
                        f.has("allowed_roles", v),
                    )
                })
                .collect(),
            periods: QuotaPeriod::ALL
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RoomSpec {
        RoomSpec {
            name: "Huddle".into(),
            category: RoomCategory::Meeting,
            capacity: 6,
            floor: Some(-1),
            location: "HQ".into(),
            amenities: ["screen".to_string(), "whiteboard".to_string()].into(),
            time_zone: "Europe/Berlin".into(),
            active: true,
            policy: RoomPolicy {
                business_hours: BusinessHours::always(),
                approval_required: true,
                check_in: Some(CheckInPolicy {
                    opens_minutes_before: 10,
                    release_after_minutes: 5,
                    room_code: Some("4711".into()),
                }),
                quotas: vec![Quota {
                    period: QuotaPeriod::Week,
                    max_bookings: Some(3),
                    max_minutes: None,
                }],
                ..RoomPolicy::default()
            },
        }
    }

    #[test]
    fn a_room_read_back_from_its_fields_is_the_same_room() {
        let s = spec();
        assert_eq!(read(&to_fields(&s)), Ok(s.clone()));
        let plain = RoomSpec {
            policy: RoomPolicy::default(),
            active: false,
            floor: None,
            ..s
        };
        assert_eq!(read(&to_fields(&plain)), Ok(plain));
    }

    #[test]
    fn a_day_with_one_time_only_names_that_day() {
        let mut f = to_fields(&spec());
        f.set("close_2", "");
        let p = read(&f).expect_err("half a day");
        assert_eq!(p.field, "open_2");
        assert!(p.rule.contains("Wednesday"), "{p:?}");
        f.set("close_2", "08:00");
        f.set("open_2", "09:00");
        assert_eq!(read(&f).expect_err("backwards").field, "close_2");
    }

    #[test]
    fn a_quota_needs_a_period_and_a_limit() {
        let mut f = to_fields(&spec());
        f.set("quota_bookings_1", "4");
        assert_eq!(read(&f).expect_err("no period").field, "quota_period_1");
        f.set("quota_period_1", "day");
        f.set("quota_bookings_1", "");
        assert_eq!(read(&f).expect_err("no limit").field, "quota_bookings_1");
        f.set("capacity", "many");
        f.set("quota_period_1", "");
        assert_eq!(read(&f).expect_err("capacity").field, "capacity");
    }
}
