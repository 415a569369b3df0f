//! This server's Prometheus metrics: what is counted, and the text of
//! `/metrics` (served by [`crate::ops`]).

use ::metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// This server's metrics: a Prometheus recorder of its own (not the
/// process-wide one, so several servers in one process — tests, embedders —
/// keep theirs apart), rendered in Prometheus text format.
pub struct Metrics {
    recorder: PrometheusRecorder,
}

impl Default for Metrics {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            // The buckets are a non-empty constant: this cannot fail.
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let made = Self { recorder };
        made.record(|| {
            describe_counter!(
                "http_requests_total",
                "HTTP requests by method, route and status."
            );
            describe_histogram!(
                "http_request_duration_seconds",
                Unit::Seconds,
                "Request latency by route."
            );
            describe_gauge!("bookings", "Bookings by status.");
            describe_counter!(
                "feed_requests_total",
                "iCalendar feeds served with a body, by how."
            );
            describe_gauge!("feed_cache_bytes", "Memory held by rendered feeds.");
            describe_gauge!(
                "mail_outbox_messages",
                "Messages in the mail outbox, by state."
            );
        });
        made
    }
}

impl Metrics {
    fn record(&self, f: impl FnOnce()) {
        ::metrics::with_local_recorder(&self.recorder, f);
    }

    /// Count one answered request and its latency.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_string(), route.to_string());
        self.record(|| {
            counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string())
                .increment(1);
            histogram!("http_request_duration_seconds", "route" => route).record(seconds);
        });
    }

    /// The text of `/metrics`, with the values read at scrape time.
    pub fn render(&self, now: &ScrapeValues) -> String {
        self.record(|| {
            for (status, n) in &now.bookings_by_status {
                gauge!("bookings", "status" => status.clone()).set(*n as f64);
            }
            for (how, n) in [
                ("kept", now.feeds.kept),
                ("caught_up", now.feeds.caught_up),
                ("full", now.feeds.full),
            ] {
                counter!("feed_requests_total", "how" => how).absolute(n);
            }
            gauge!("feed_cache_bytes").set(now.feeds.bytes as f64);
            if let Some((pending, sent)) = now.outbox {
                gauge!("mail_outbox_messages", "state" => "pending").set(pending as f64);
                gauge!("mail_outbox_messages", "state" => "sent").set(sent as f64);
            }
        });
        self.recorder.handle().render()
    }
}

/// What `/metrics` reads from the database and the feed cache when scraped.
pub struct ScrapeValues {
    /// Bookings by status name.
    pub bookings_by_status: Vec<(String, i64)>,
    /// The feed cache's counters.
    pub feeds: crate::feed_cache::FeedStats,
    /// Mail outbox messages pending and sent, if they could be counted.
    pub outbox: Option<(i64, i64)>,
}
