//! Charts as inline SVG, drawn on the server from the numbers the page also
//! shows as tables: no chart library, nothing to download, and readers of
//! the table get the same figures. Colours come from the stylesheet
//! (classes), so the charts follow the light and dark themes.

use std::fmt::Write as _;

use booking_core::analytics::{HeatCell, StatusDay};

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar: its label, its length as a share of the full width (0–1), and
/// the figure written beside it.
pub struct Bar {
    pub label: String,
    pub share: f64,
    pub figure: String,
}

const WIDTH: u32 = 720;
const LABEL_W: u32 = 190;
const ROW_H: u32 = 26;

/// Horizontal bars, one row each, with a title for screen readers.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let h = ROW_H * bars.len().max(1) as u32 + 10;
    let plot = WIDTH - LABEL_W - 70;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {h}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 5 + ROW_H * i as u32;
        let len = (b.share.clamp(0.0, 1.0) * f64::from(plot)).round() as u32;
        let _ = write!(
            s,
            r#"<text class="lbl" x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="track" x="{LABEL_W}" y="{y}" width="{plot}" height="18" rx="3"/><rect class="bar" x="{LABEL_W}" y="{y}" width="{len}" height="18" rx="3"/><text class="fig" x="{fx}" y="{ty}">{fig}</text>"#,
            lx = LABEL_W - 8,
            ty = y + 14,
            label = esc(&b.label),
            fx = LABEL_W + plot + 8,
            fig = esc(&b.figure),
        );
    }
    s.push_str("</svg>");
    s
}

/// Weekday × hour grid; darker cells had more bookings.
pub fn heat(title: &str, cells: &[HeatCell]) -> String {
    const CELL: u32 = 24;
    const LEFT: u32 = 40;
    const TOP: u32 = 20;
    let max = cells.iter().map(|c| c.bookings).max().unwrap_or(0).max(1);
    let w = LEFT + CELL * 24 + 4;
    let h = TOP + CELL * 7 + 4;
    let mut s = format!(
        r#"<svg class="chart heat" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for hour in (0..24).step_by(3) {
        let _ = write!(
            s,
            r#"<text class="lbl" x="{}" y="14" text-anchor="middle">{hour:02}</text>"#,
            LEFT + CELL * hour + CELL / 2
        );
    }
    for (d, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .enumerate()
    {
        let y = TOP + CELL * d as u32;
        let _ = write!(
            s,
            r#"<text class="lbl" x="{}" y="{}" text-anchor="end">{name}</text>"#,
            LEFT - 6,
            y + 16
        );
        for hour in 0..24u32 {
            let n = cells
                .iter()
                .find(|c| c.weekday == d as u32 && c.hour == hour)
                .map_or(0, |c| c.bookings);
            // Five steps of shade, so that the legend can name them.
            let level = if n == 0 {
                0
            } else {
                1 + (4 * (n - 1) / max).min(3)
            };
            let _ = write!(
                s,
                r#"<rect class="h{level}" x="{}" y="{y}" width="{}" height="{}" rx="2"><title>{name} {hour:02}:00 — {n} booking(s)</title></rect>"#,
                LEFT + CELL * hour,
                CELL - 2,
                CELL - 2
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Stacked columns per day: approved, pending, cancelled, rejected.
pub fn statuses(title: &str, days: &[StatusDay]) -> String {
    const H: u32 = 200;
    const BASE: u32 = 180;
    const LEFT: u32 = 34;
    let n = days.len().max(1) as u32;
    let col = ((WIDTH - LEFT - 10) / n).clamp(4, 40);
    let w = LEFT + col * n + 10;
    let max = days
        .iter()
        .map(|d| d.approved + d.pending + d.cancelled + d.rejected)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = f64::from(BASE - 10) / max as f64;
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title><line class="axis" x1="{LEFT}" y1="{BASE}" x2="{w}" y2="{BASE}"/><text class="lbl" x="{lx}" y="14" text-anchor="end">{max}</text><text class="lbl" x="{lx}" y="{BASE}" text-anchor="end">0</text>"#,
        h = H + 10,
        t = esc(title),
        lx = LEFT - 4,
    );
    for (i, d) in days.iter().enumerate() {
        let x = LEFT + col * i as u32 + 1;
        let mut top = BASE as f64;
        for (class, v) in [
            ("approved", d.approved),
            ("pending", d.pending),
            ("cancelled", d.cancelled),
            ("rejected", d.rejected),
        ] {
            if v == 0 {
                continue;
            }
            let hgt = v as f64 * scale;
            top -= hgt;
            let _ = write!(
                s,
                r#"<rect class="st-{class}" x="{x}" y="{top:.1}" width="{}" height="{hgt:.1}"><title>{} — {v} {class}</title></rect>"#,
                col.saturating_sub(2).max(2),
                d.day
            );
        }
        if n <= 14 || i % (n as usize / 7).max(1) == 0 {
            let _ = write!(
                s,
                r#"<text class="lbl" x="{}" y="{}" text-anchor="middle">{}</text>"#,
                x + col / 2,
                BASE + 16,
                d.day.format("%-d %b")
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_labels_are_escaped_and_lengths_follow_the_share() {
        let svg = bars(
            "Use",
            &[
                Bar {
                    label: "R&D <lab>".into(),
                    share: 0.5,
                    figure: "50%".into(),
                },
                Bar {
                    label: "Full".into(),
                    share: 7.0,
                    figure: "700%".into(),
                },
            ],
        );
        assert!(svg.contains("R&amp;D &lt;lab&gt;"), "{svg}");
        assert!(!svg.contains("<lab>"));
        let plot = WIDTH - LABEL_W - 70;
        assert!(
            svg.contains(&format!(
                r#"class="bar" x="{LABEL_W}" y="5" width="{}""#,
                plot / 2
            )),
            "{svg}"
        );
        // A share above 1 is drawn full width, not past the edge.
        assert!(
            svg.contains(&format!(
                r#"width="{plot}" height="18" rx="3"/><text class="fig" x="{}" y="45">700%"#,
                LABEL_W + plot + 8
            )),
            "{svg}"
        );
    }

    #[test]
    fn the_busiest_heat_cell_is_the_darkest() {
        let cells = vec![
            HeatCell {
                weekday: 0,
                hour: 9,
                bookings: 8,
                booked_minutes: 480,
            },
            HeatCell {
                weekday: 2,
                hour: 14,
                bookings: 1,
                booked_minutes: 60,
            },
        ];
        let svg = heat("Heat", &cells);
        assert!(svg.contains(r#"class="h4""#) && svg.contains("Mon 09:00 — 8 booking(s)"));
        assert!(svg.contains("Wed 14:00 — 1 booking(s)"));
        assert_eq!(svg.matches(r#"class="h0""#).count(), 7 * 24 - 2);
    }
}
