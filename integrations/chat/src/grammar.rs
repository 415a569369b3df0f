//! The chat command grammar shared by every platform.
//!
//! ```text
//! book <room> <when> [for <duration>] [title]
//! book a room [for <n> people] [with <amenity>] <when> [title]
//! free [at <when>] [for <n> people] [with <amenity>]
//! mine | cancel <booking> | checkin [code] | rooms | help | link <code>
//! ```
//!
//! `<when>` is what people type: `tomorrow 10:00-11:00`, `today 14:00 for 30m`,
//! `mon 9am`, `2026-12-01 09:00`, `fri 10-11`. Dates and times are wall-clock
//! values; the caller resolves them in the user's or room's time zone.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use thiserror::Error;

/// A wall-clock slot: a local date, a start and optionally an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: Option<NaiveTime>,
}

/// A parsed chat command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Book a named room, or (room `None`) the best free room for the need.
    Book {
        room: Option<String>,
        when: When,
        duration: Option<Duration>,
        people: Option<u32>,
        amenities: Vec<String>,
        title: Option<String>,
    },
    /// Free rooms at a time (now when absent).
    Free {
        when: Option<When>,
        duration: Option<Duration>,
        people: Option<u32>,
        amenities: Vec<String>,
    },
    Mine,
    Cancel {
        booking: String,
    },
    CheckIn {
        code: Option<String>,
    },
    Rooms,
    Help,
    Link {
        code: String,
    },
}

/// Why a command could not be understood; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("say what to do: book, free, mine, cancel, checkin, rooms or help")]
    Empty,
    #[error("unknown command {0:?}; try `help`")]
    UnknownCommand(String),
    #[error("when? e.g. `book {room} tomorrow 10:00-11:00`")]
    MissingWhen { room: String },
    #[error(
        "which room? e.g. `book boardroom tomorrow 10-11`, or `book a room for 6 tomorrow 10-11`"
    )]
    MissingRoom,
    #[error("I could not read the time {0:?}; use e.g. 14:00, 9am or 10-11")]
    BadTime(String),
    #[error("I could not read the date {0:?}; use today, tomorrow, mon…sun or 2026-12-01")]
    BadDate(String),
    #[error("I could not read the duration {0:?}; use e.g. 30m, 1h or 1h30")]
    BadDuration(String),
    #[error("the end ({end}) is not after the start ({start})")]
    EndBeforeStart { start: NaiveTime, end: NaiveTime },
    #[error("{0}")]
    Usage(&'static str),
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn weekday(token: &str) -> Option<Weekday> {
    let t = token.trim_end_matches(['.', ',']);
    WEEKDAYS.iter().find_map(|(short, day)| {
        let full = match day {
            Weekday::Mon => "monday",
            Weekday::Tue => "tuesday",
            Weekday::Wed => "wednesday",
            Weekday::Thu => "thursday",
            Weekday::Fri => "friday",
            Weekday::Sat => "saturday",
            Weekday::Sun => "sunday",
        };
        (t == *short || t == full || (t.len() >= 3 && full.starts_with(t))).then_some(*day)
    })
}

/// A date word: today, tomorrow, a weekday (the next one, today included) or ISO.
fn date_token(token: &str, today: NaiveDate) -> Option<NaiveDate> {
    match token {
        "today" | "tdy" => return Some(today),
        "tomorrow" | "tmrw" | "tmr" | "tomorow" => return today.succ_opt(),
        _ => {}
    }
    if let Some(day) = weekday(token) {
        let ahead = (7 + day.num_days_from_monday() as i64
            - today.weekday().num_days_from_monday() as i64)
            % 7;
        return Some(today + Duration::days(ahead));
    }
    NaiveDate::parse_from_str(token, "%Y-%m-%d").ok()
}

/// A clock time: 9, 09, 9:30, 09:30, 9am, 9.30pm, 14h, noon, midnight.
fn time_token(token: &str) -> Option<NaiveTime> {
    let t = token.trim_end_matches(['.', ',']);
    match t {
        "noon" | "midday" => return NaiveTime::from_hms_opt(12, 0, 0),
        "midnight" => return NaiveTime::from_hms_opt(0, 0, 0),
        _ => {}
    }
    let (body, meridiem) = if let Some(b) = t.strip_suffix("am") {
        (b, Some(false))
    } else if let Some(b) = t.strip_suffix("pm") {
        (b, Some(true))
    } else {
        (t.strip_suffix('h').unwrap_or(t), None)
    };
    let (h, m) = match body.split_once([':', '.']) {
        Some((h, m)) if m.len() == 2 => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        Some(_) => return None,
        None if !body.is_empty() && body.len() <= 2 => (body.parse::<u32>().ok()?, 0),
        None => return None,
    };
    let h = match meridiem {
        Some(pm) if (1..=12).contains(&h) => (h % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// A range in one token: 10-11, 10:00-11:30, 9am-10am, 9-10am.
fn range_token(token: &str) -> Option<(NaiveTime, NaiveTime)> {
    let (a, b) = token.split_once(['-', '–'])?;
    let end = time_token(b)?;
    let has_meridiem = |s: &str| s.ends_with("am") || s.ends_with("pm");
    if has_meridiem(a) || !has_meridiem(b) {
        return Some((time_token(a)?, end));
    }
    // "9-10am", "1-2pm": the end's meridiem applies to the start, unless that
    // puts the start after the end ("11-1pm" is 11am to 1pm).
    let (same, other) = if b.ends_with("am") {
        ("am", "pm")
    } else {
        ("pm", "am")
    };
    let start = time_token(&format!("{a}{same}"))?;
    if start < end {
        return Some((start, end));
    }
    Some((time_token(&format!("{a}{other}"))?, end))
}

/// The longest duration read: a week, a booking's longest.
const MAX_DURATION_MINUTES: i64 = 7 * 24 * 60;

/// Minutes within (0, a week] as a duration; anything else is not one.
fn bounded(m: i64) -> Option<Duration> {
    (1..=MAX_DURATION_MINUTES)
        .contains(&m)
        .then(|| Duration::minutes(m))
}

/// A duration: 30m, 30min, 1h, 1.5h, 1h30, 90 (minutes), 2 hours.
fn duration_tokens(tokens: &[&str]) -> Option<(Duration, usize)> {
    let first = *tokens.first()?;
    let unit = tokens.get(1).copied().unwrap_or("");
    let minutes_of = |s: &str| -> Option<i64> {
        if let Some((h, m)) = s.split_once('h') {
            let h: f64 = h.parse().ok()?;
            let m: i64 = if m.is_empty() {
                0
            } else {
                m.trim_end_matches("min")
                    .trim_end_matches('m')
                    .parse()
                    .ok()?
            };
            return Some(((h * 60.0).round() as i64).saturating_add(m));
        }
        for suffix in ["minutes", "minute", "mins", "min", "m"] {
            if let Some(n) = s.strip_suffix(suffix) {
                return n.parse().ok();
            }
        }
        None
    };
    if let Some(m) = minutes_of(first) {
        return bounded(m).map(|d| (d, 1));
    }
    let n: f64 = first.parse().ok()?;
    let m = match unit {
        "h" | "hr" | "hrs" | "hour" | "hours" => (n * 60.0).round() as i64,
        "m" | "min" | "mins" | "minute" | "minutes" => n.round() as i64,
        _ => return None,
    };
    bounded(m).map(|d| (d, 2))
}

fn people_tokens(tokens: &[&str]) -> Option<(u32, usize)> {
    let n: u32 = tokens.first()?.parse().ok()?;
    match tokens.get(1).copied() {
        Some("people" | "persons" | "person" | "ppl" | "pax" | "seats" | "attendees") => {
            Some((n, 2))
        }
        _ => Some((n, 1)),
    }
}

/// Everything after the command word, split into its parts.
#[derive(Debug, Default)]
struct Parts {
    words: Vec<String>,
    date: Option<NaiveDate>,
    start: Option<NaiveTime>,
    end: Option<NaiveTime>,
    duration: Option<Duration>,
    people: Option<u32>,
    amenities: Vec<String>,
    /// Index in `words` where the first time/date token appeared.
    when_at: Option<usize>,
}

const ARTICLES: [&str; 3] = ["a", "an", "the"];

fn split(tokens: &[&str], today: NaiveDate) -> Result<Parts, ParseError> {
    let mut p = Parts::default();
    let mut i = 0;
    let mark = |p: &mut Parts| {
        if p.when_at.is_none() {
            p.when_at = Some(p.words.len());
        }
    };
    while i < tokens.len() {
        let t = tokens[i];
        let next = tokens.get(i + 1).copied();
        // "2026-12-01T09:00" (what Discord date options and ISO users send).
        if let Some((ds, ts)) = t.split_once('t')
            && let (Ok(d), Some(st)) = (NaiveDate::parse_from_str(ds, "%Y-%m-%d"), time_token(ts))
            && p.date.is_none()
            && p.start.is_none()
        {
            mark(&mut p);
            p.date = Some(d);
            p.start = Some(st);
            i += 1;
            continue;
        }
        // A bare duration right after the time: "09:00 1h", "14:00 30m".
        if p.start.is_some()
            && p.duration.is_none()
            && t.chars().next().is_some_and(|c| c.is_ascii_digit())
            && t.ends_with(['h', 'm'])
            && !t.ends_with("am")
            && !t.ends_with("pm")
            && let Some((dur, 1)) = duration_tokens(&[t])
        {
            p.duration = Some(dur);
            i += 1;
            continue;
        }
        if let Some(d) = date_token(t, today) {
            if p.date.is_some() {
                return Err(ParseError::BadDate(t.to_string()));
            }
            mark(&mut p);
            p.date = Some(d);
            i += 1;
            continue;
        }
        if p.start.is_none()
            && let Some((s, e)) = range_token(t)
        {
            mark(&mut p);
            p.start = Some(s);
            p.end = Some(e);
            i += 1;
            continue;
        }
        if matches!(t, "at" | "from") && next.and_then(time_token).is_some() {
            i += 1;
            continue;
        }
        if p.start.is_none()
            && let Some(s) = time_token(t)
            && (t.contains([':', '.'])
                || t.ends_with("am")
                || t.ends_with("pm")
                || t.ends_with('h')
                || p.date.is_some()
                || matches!(tokens.get(i.wrapping_sub(1)).copied(), Some("at" | "from")))
        {
            mark(&mut p);
            p.start = Some(s);
            i += 1;
            // "10 to 11", "10 until 11", "10 - 11"
            if matches!(next, Some("to" | "until" | "till" | "-" | "–"))
                && let Some(e) = tokens.get(i + 1).and_then(|t| time_token(t))
            {
                p.end = Some(e);
                i += 2;
            }
            continue;
        }
        if t == "for" {
            let rest = &tokens[i + 1..];
            if let Some((d, used)) = duration_tokens(rest) {
                p.duration = Some(d);
                i += 1 + used;
                continue;
            }
            if let Some((n, used)) = people_tokens(rest) {
                p.people = Some(n);
                i += 1 + used;
                continue;
            }
            if let Some(bad) = rest.first() {
                return Err(ParseError::BadDuration((*bad).to_string()));
            }
        }
        if t == "with" || t == "w/" {
            let mut j = i + 1;
            while let Some(a) = tokens.get(j) {
                let a = a.trim_end_matches(',');
                if a == "and" || a == "a" || a == "an" {
                    j += 1;
                    continue;
                }
                if date_token(a, today).is_some()
                    || time_token(a).is_some()
                    || range_token(a).is_some()
                    || a == "for"
                    || a == "at"
                {
                    break;
                }
                p.amenities.push(a.to_string());
                j += 1;
                if !tokens.get(j - 1).is_some_and(|t| t.ends_with(','))
                    && tokens.get(j) != Some(&"and")
                {
                    break;
                }
            }
            i = j;
            continue;
        }
        p.words.push(t.to_string());
        i += 1;
    }
    if let (Some(s), Some(e)) = (p.start, p.end)
        && e <= s
    {
        return Err(ParseError::EndBeforeStart { start: s, end: e });
    }
    Ok(p)
}

fn when(p: &Parts, today: NaiveDate) -> Option<When> {
    let start = p.start?;
    Some(When {
        date: p.date.unwrap_or(today),
        start,
        end: p.end,
    })
}

/// Parse one chat message. `today` is the user's local date.
pub fn parse(input: &str, today: NaiveDate) -> Result<Command, ParseError> {
    let lowered = input.trim().trim_start_matches('/').to_lowercase();
    let tokens: Vec<&str> = lowered.split_whitespace().collect();
    let Some((&verb, rest)) = tokens.split_first() else {
        return Err(ParseError::Empty);
    };
    match verb {
        "help" | "?" | "commands" => Ok(Command::Help),
        "rooms" | "list" => Ok(Command::Rooms),
        "mine" | "my" | "bookings" => Ok(Command::Mine),
        "checkin" | "check-in" | "check" => {
            let rest = if verb == "check" && rest.first() == Some(&"in") {
                &rest[1..]
            } else {
                rest
            };
            Ok(Command::CheckIn {
                code: rest.first().map(|c| c.to_string()),
            })
        }
        "cancel" | "delete" => match rest.first() {
            Some(id) => Ok(Command::Cancel {
                booking: id.trim_start_matches('#').to_string(),
            }),
            None => Err(ParseError::Usage(
                "which booking? `cancel <booking id>` (see `mine`)",
            )),
        },
        "link" => match rest.first() {
            Some(code) => Ok(Command::Link {
                code: code.to_uppercase(),
            }),
            None => Err(ParseError::Usage(
                "`link <code>`: get the code from the web app or API",
            )),
        },
        "free" | "available" | "avail" | "find" => {
            let p = split(rest, today)?;
            if p.date.is_some() && p.start.is_none() {
                return Err(ParseError::BadTime("(no time given)".into()));
            }
            Ok(Command::Free {
                when: when(&p, today),
                duration: p.duration,
                people: p.people,
                amenities: p.amenities,
            })
        }
        "book" | "reserve" => {
            let p = split(rest, today)?;
            let when_at = p.when_at.unwrap_or(p.words.len());
            // "book a room …", "book the boardroom …": leading articles and a
            // bare "room" name no room.
            let mut room_words: Vec<&str> = p.words[..when_at]
                .iter()
                .map(String::as_str)
                .filter(|w| *w != "please")
                .skip_while(|w| ARTICLES.contains(w))
                .collect();
            if room_words == ["room"] {
                room_words.clear();
            }
            let title_words = &p.words[when_at..];
            let room = (!room_words.is_empty()).then(|| room_words.join(" "));
            let Some(w) = when(&p, today) else {
                return Err(match &room {
                    Some(r) => ParseError::MissingWhen { room: r.clone() },
                    None => ParseError::BadTime("(no time given)".into()),
                });
            };
            Ok(Command::Book {
                room,
                when: w,
                duration: p.duration,
                people: p.people,
                amenities: p.amenities,
                title: (!title_words.is_empty()).then(|| title_words.join(" ")),
            })
        }
        other => Err(ParseError::UnknownCommand(other.to_string())),
    }
}

/// Pick the room a user meant: exact name, then prefix, then substring of any
/// word, case-insensitive. `Err` holds the candidates when it is ambiguous
/// (empty when nothing matches).
pub fn match_room<'a>(query: &str, names: &'a [String]) -> Result<&'a str, Vec<&'a str>> {
    let q = query.trim().to_lowercase();
    let norm = |s: &str| s.to_lowercase();
    if let Some(n) = names.iter().find(|n| norm(n) == q) {
        return Ok(n);
    }
    let compact = |s: &str| s.to_lowercase().replace([' ', '-', '_'], "");
    let qc = compact(&q);
    if let Some(n) = names.iter().find(|n| compact(n) == qc) {
        return Ok(n);
    }
    let prefix: Vec<&str> = names
        .iter()
        .filter(|n| norm(n).starts_with(&q) || compact(n).starts_with(&qc))
        .map(String::as_str)
        .collect();
    if prefix.len() == 1 {
        return Ok(prefix[0]);
    }
    if !prefix.is_empty() {
        return Err(prefix);
    }
    let within: Vec<&str> = names
        .iter()
        .filter(|n| {
            norm(n).split_whitespace().any(|w| w.starts_with(&q)) || compact(n).contains(&qc)
        })
        .map(String::as_str)
        .collect();
    match within.as_slice() {
        [one] => Ok(one),
        _ => Err(within),
    }
}
