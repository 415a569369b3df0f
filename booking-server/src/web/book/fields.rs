//! The booking form's fields as typed, and how they become the service's
//! requests: each field that cannot be read is named in its message.

use booking_core::procurement::{OrderItem, OrderKind, OrderRequest, Priority};
use booking_core::recurrence;
use booking_core::{BookingRequest, RoomId};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::web::time;

/// How often a series repeats, as the form offers it.
pub const REPEATS: &[(&str, &str)] = &[
    ("", "Does not repeat"),
    ("daily", "Every day"),
    ("weekdays", "Every weekday (Monday to Friday)"),
    ("weekly", "Every week"),
    ("monthly", "Every month"),
];

/// Everything the form holds, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    pub room: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub tz: String,
    pub title: String,
    pub attendees: String,
    pub purpose: String,
    pub repeat: String,
    pub count: String,
    pub until: String,
    pub order_kind: String,
    pub item1: String,
    pub qty1: String,
    pub item2: String,
    pub qty2: String,
    pub item3: String,
    pub qty3: String,
    pub cost_centre: String,
    pub notes: String,
    pub intent: String,
    /// Book for this person (their e-mail): someone who lets the viewer
    /// book for them, or anyone in a room the viewer manages.
    pub for_email: String,
    /// More rooms for the same meeting (booked all or none).
    pub also1: String,
    pub also2: String,
    pub also3: String,
}

/// A form field that cannot be read: the message names the field.
pub(super) type FieldError = String;

impl BookForm {
    pub fn zone(&self) -> Tz {
        time::zone(Some(&self.tz), Tz::UTC)
    }

    pub fn room_id(&self) -> Result<RoomId, FieldError> {
        self.room
            .trim()
            .parse()
            .map_err(|_| "room: choose a room".to_string())
    }

    /// Start and end as instants.
    pub fn interval(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldError> {
        let tz = self.zone();
        let date = time::parse_date("date", &self.date)?;
        let start =
            time::local_instant(tz, date, time::parse_time("start", &self.start)?, "start")?;
        let end_time = time::parse_time("end", &self.end)?;
        // Until 00:00 means until midnight; any other end before the start is
        // left for the rules to refuse (a typo must not become a 23-hour booking).
        let end_date = if end_time == chrono::NaiveTime::MIN {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        let end = time::local_instant(tz, end_date, end_time, "end")?;
        Ok((start, end))
    }

    pub fn attendee_count(&self) -> Result<u32, FieldError> {
        match self.attendees.trim() {
            "" => Ok(1),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    format!("attendees: give a whole number from 1 to 100000 (got {n:?})")
                }),
        }
    }

    pub fn request(&self) -> Result<BookingRequest, FieldError> {
        let (start, end) = self.interval()?;
        Ok(BookingRequest {
            room_id: self.room_id()?,
            title: self.title.trim().to_string(),
            purpose: self.purpose.trim().to_string(),
            attendees: self.attendee_count()?,
            start,
            end,
        })
    }

    /// The other rooms chosen for the same meeting.
    pub fn also(&self) -> Result<Vec<RoomId>, FieldError> {
        [
            ("also1", &self.also1),
            ("also2", &self.also2),
            ("also3", &self.also3),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| {
            v.trim()
                .parse()
                .map_err(|_| format!("{k}: choose a room from the list"))
        })
        .collect()
    }

    /// The RRULE of the chosen repetition, if any.
    pub fn rrule(&self) -> Result<Option<String>, FieldError> {
        let freq = match self.repeat.as_str() {
            "" => return Ok(None),
            "daily" => "FREQ=DAILY",
            "weekdays" => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "weekly" => "FREQ=WEEKLY",
            "monthly" => "FREQ=MONTHLY",
            other => {
                return Err(format!(
                    "repeat: {other:?} is not one of the offered choices"
                ));
            }
        };
        if !self.until.trim().is_empty() {
            let until = time::parse_date("until", &self.until)?;
            let (_, end) = time::day_bounds(self.zone(), until);
            let last = end - Duration::seconds(1);
            return Ok(Some(format!(
                "{freq};UNTIL={}",
                last.format("%Y%m%dT%H%M%SZ")
            )));
        }
        let count = match self.count.trim() {
            "" => 10,
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (2..=u32::from(recurrence::MAX_OCCURRENCES)).contains(n))
                .ok_or_else(|| {
                    format!(
                        "count: give how many times, from 2 to {} (got {n:?})",
                        recurrence::MAX_OCCURRENCES
                    )
                })?,
        };
        Ok(Some(format!("{freq};COUNT={count}")))
    }

    /// The order typed into the form, if any line has an item.
    pub fn order(&self) -> Result<Option<OrderRequest>, FieldError> {
        let lines = [
            (&self.item1, &self.qty1, 1),
            (&self.item2, &self.qty2, 2),
            (&self.item3, &self.qty3, 3),
        ];
        let mut items = Vec::new();
        for (name, qty, n) in lines {
            if name.trim().is_empty() {
                continue;
            }
            let quantity =
                match qty.trim() {
                    "" => 1,
                    q => q.parse::<u32>().ok().filter(|q| *q >= 1).ok_or_else(|| {
                        format!("quantity {n}: give a whole number of at least 1")
                    })?,
                };
            items.push(OrderItem {
                name: name.trim().to_string(),
                quantity,
                unit_cost_cents: 0,
            });
        }
        if items.is_empty() {
            return Ok(None);
        }
        let kind = self
            .order_kind
            .parse::<OrderKind>()
            .map_err(|_| "order kind: choose what kind of order this is".to_string())?;
        Ok(Some(OrderRequest {
            kind,
            items,
            priority: Priority::Medium,
            cost_centre: self.cost_centre.trim().to_string(),
            notes: self.notes.trim().to_string(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(start: &str, end: &str) -> BookForm {
        BookForm {
            room: RoomId::new_random().to_string(),
            date: "2027-01-13".into(),
            start: start.into(),
            end: end.into(),
            tz: "Europe/Berlin".into(),
            title: "  Planning ".into(),
            ..BookForm::default()
        }
    }

    #[test]
    fn the_form_reads_local_times_and_names_bad_fields() {
        let r = form("09:00", "10:30").request().expect("request");
        assert_eq!(r.start.to_rfc3339(), "2027-01-13T08:00:00+00:00");
        assert_eq!((r.end - r.start).num_minutes(), 90);
        assert_eq!((r.title.as_str(), r.attendees), ("Planning", 1));
        let midnight = form("23:00", "00:00").request().expect("request");
        assert_eq!((midnight.end - midnight.start).num_minutes(), 60);
        let backwards = form("10:00", "09:00").request().expect("left to the rules");
        assert!(backwards.end < backwards.start);
        let mut f = form("09:00", "10:00");
        f.attendees = "-3".into();
        assert!(f.request().expect_err("bad").starts_with("attendees:"));
        f = form("9 o'clock", "10:00");
        assert!(f.request().expect_err("bad").starts_with("start:"));
        f = form("09:00", "10:00");
        f.room = "nope".into();
        assert!(f.request().expect_err("bad").starts_with("room:"));
    }

    #[test]
    fn repeats_become_rrules() {
        let mut f = form("09:00", "10:00");
        assert_eq!(f.rrule(), Ok(None));
        f.repeat = "weekdays".into();
        f.count = "5".into();
        assert_eq!(
            f.rrule(),
            Ok(Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=5".into()))
        );
        f.repeat = "weekly".into();
        f.until = "2027-02-10".into();
        // The end of that day in Berlin, in UTC as RFC 5545 wants with TZID starts.
        assert_eq!(
            f.rrule(),
            Ok(Some("FREQ=WEEKLY;UNTIL=20270210T225959Z".into()))
        );
        f.until.clear();
        f.count = "1".into();
        assert!(
            f.rrule()
                .expect_err("one is not a series")
                .starts_with("count:")
        );
        f.repeat = "hourly".into();
        assert!(f.rrule().expect_err("not offered").starts_with("repeat:"));
    }

    #[test]
    fn order_lines_need_a_kind_and_whole_quantities() {
        let mut f = form("09:00", "10:00");
        assert_eq!(f.order(), Ok(None));
        f.item1 = "Coffee".into();
        f.qty1 = "12".into();
        assert!(f.order().expect_err("no kind").starts_with("order kind:"));
        f.order_kind = "catering".into();
        let o = f.order().expect("order").expect("some");
        assert_eq!(
            (o.items[0].name.as_str(), o.items[0].quantity),
            ("Coffee", 12)
        );
        f.qty1 = "0".into();
        assert!(f.order().expect_err("zero").starts_with("quantity 1:"));
    }
}
