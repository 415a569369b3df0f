//! Content lines (RFC 5545 §3.1): escaped TEXT values, date-time stamps and
//! folding, written straight into the output a [`crate::Writer`] builds —
//! a feed writes tens of thousands of lines, so none of them allocates.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

/// Escape a TEXT value (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// Append `s` escaped as a TEXT value: backslash, semicolon, comma and
/// newline escaped, control characters (Unicode `Cc`) left out. Runs of
/// plain text are copied whole.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    while let Some(&b) = bytes.get(i) {
        let (len, escape) = match b {
            b'\\' => (1, "\\\\"),
            b';' => (1, "\\;"),
            b',' => (1, "\\,"),
            b'\n' => (1, "\\n"),
            0..=0x1f | 0x7f => (1, ""),
            // U+0080..U+009F, the C1 controls.
            0xc2 if matches!(bytes.get(i + 1), Some(0x80..=0x9f)) => (2, ""),
            _ => {
                i += 1;
                continue;
            }
        };
        // `run` and `i` sit on ASCII bytes or a lead byte: char boundaries.
        out.push_str(s.get(run..i).unwrap_or_default());
        out.push_str(escape);
        i += len;
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
}

/// Fold one content line at 75 octets (continuation lines start with a
/// space), never inside a UTF-8 character, and end it with CRLF.
pub fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// End the content line written into `out` from byte `start` on: fold it
/// if it is longer than 75 octets, then CRLF.
pub(crate) fn end_line(out: &mut String, start: usize) {
    if out.len() - start > 75 {
        let line = out.split_off(start);
        fold(&line, out);
    } else {
        out.push_str("\r\n");
    }
}

/// Append `YYYYMMDDTHHMMSS` for `t`.
pub(crate) fn push_stamp(out: &mut String, t: NaiveDateTime) {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        // Outside four digits chrono's `%Y` adds a sign; keep its form.
        out.push_str(&t.format("%Y%m%dT%H%M%S").to_string());
        return;
    }
    let digits = |out: &mut String, v: u32, width: u32| {
        for p in (0..width).rev() {
            let d = (v / 10u32.pow(p)) % 10;
            out.push(char::from(b'0' + d as u8));
        }
    };
    digits(out, year.unsigned_abs(), 4);
    digits(out, t.month(), 2);
    digits(out, t.day(), 2);
    out.push('T');
    digits(out, t.hour(), 2);
    digits(out, t.minute(), 2);
    digits(out, t.second(), 2);
}

/// `YYYYMMDDTHHMMSSZ` for `t`.
pub fn utc_stamp(t: DateTime<Utc>) -> String {
    let mut s = String::with_capacity(16);
    push_stamp(&mut s, t.naive_utc());
    s.push('Z');
    s
}

/// `YYYYMMDDTHHMMSS`: `t` as wall-clock time in `tz` (for `TZID=`).
pub fn local_stamp(t: DateTime<Utc>, tz: Tz) -> String {
    let mut s = String::with_capacity(15);
    push_stamp(&mut s, t.with_timezone(&tz).naive_local());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The stamps are what chrono's `strftime` writes, in any zone.
        #[test]
        fn stamps_match_chrono(secs in -62_000_000_000i64..300_000_000_000, zone in 0usize..4) {
            let t = DateTime::from_timestamp(secs, 0).expect("in range");
            let tz = [chrono_tz::UTC, chrono_tz::Europe::Berlin, chrono_tz::America::St_Johns,
                chrono_tz::Australia::Lord_Howe][zone];
            proptest::prop_assert_eq!(utc_stamp(t), t.format("%Y%m%dT%H%M%SZ").to_string());
            proptest::prop_assert_eq!(
                local_stamp(t, tz),
                t.with_timezone(&tz).format("%Y%m%dT%H%M%S").to_string()
            );
        }

        /// Escaping runs of plain text whole gives what escaping character
        /// by character gives, control characters (C0 and C1) included.
        #[test]
        fn escaping_in_runs_agrees(s in "(?s).{0,40}|[a-z ,;\\\\\n\t\r\u{7f}\u{85}\u{9f}\u{a0}é€]{0,40}") {
            let slow: String = s.chars().flat_map(|c| match c {
                '\\' => vec!['\\', '\\'],
                ';' => vec!['\\', ';'],
                ',' => vec!['\\', ','],
                '\n' => vec!['\\', 'n'],
                c if c.is_control() => vec![],
                c => vec![c],
            }).collect();
            proptest::prop_assert_eq!(escape_text(&s), slow);
        }

        /// A line ended in place is the line folded whole.
        #[test]
        fn ending_in_place_is_folding(s in "\\PC{0,200}") {
            let mut whole = String::new();
            fold(&s, &mut whole);
            let mut in_place = String::from("BEGIN:X\r\n");
            let start = in_place.len();
            in_place.push_str(&s);
            end_line(&mut in_place, start);
            proptest::prop_assert_eq!(&in_place["BEGIN:X\r\n".len()..], whole.as_str());
        }
    }
}
