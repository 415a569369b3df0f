//! Answers of the hot read endpoints (the room list, a room's free slots,
//! find-a-room) kept in memory, serialised and compressed once, per the
//! version of what they were computed from.
//!
//! An answer is served again only while its [`Version`] is unchanged: the
//! database's change counters (bumped by triggers in the transaction of
//! every write, whichever process writes — the ones the calendar feeds use)
//! and, where the answer depends on the time, the current second. A client
//! that sends the answer's ETag back in `If-None-Match` gets `304 Not
//! Modified`; one that accepts `br` or `gzip` gets the kept compressed body.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use booking_core::store::ChangeStamp;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ToJSON, Type};

use crate::compressed::{Encoding, KeptBody};
use crate::error::ApiResult;

/// Answers kept at most; when full, the cache starts afresh (answers are
/// cheap to recompute, and a bound keeps memory flat).
const MAX_ANSWERS: usize = 4096;

/// What an answer was computed from: the change counters it depends on and
/// a number for anything else (the current second, or 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    pub stamp: ChangeStamp,
    pub clock: i64,
}

/// The clock part of the [`Version`] of an answer about local date `date`
/// of some room: the current second while `date` may be today somewhere
/// (free slots start no earlier than now), otherwise a constant.
pub fn clock_for_day(now: DateTime<Utc>, date: NaiveDate) -> i64 {
    // No zone is more than 14 hours from UTC.
    let start = date.and_time(NaiveTime::MIN).and_utc() - Duration::hours(14);
    let end = start + Duration::hours(24 + 28);
    if now < start {
        0
    } else if now >= end {
        1
    } else {
        now.timestamp()
    }
}

/// The kept answers, by key (endpoint, parameters and, where answers
/// differ between people, who asks).
#[derive(Debug, Default)]
pub struct ReadCache {
    answers: Mutex<HashMap<String, Arc<Kept>>>,
}

/// One answer: its JSON and, made on first demand, its compressed forms.
#[derive(Debug)]
pub struct Kept {
    version: Version,
    etag: HeaderValue,
    json: KeptBody,
}

impl ReadCache {
    /// The answer kept for `key` at `version`, or the one `make` computes
    /// (kept for the next request at the same version).
    pub async fn answer<T, F>(
        &self,
        req: &Request,
        key: String,
        version: Version,
        make: F,
    ) -> ApiResult<CachedJson<T>>
    where
        T: ToJSON,
        F: Future<Output = ApiResult<T>>,
    {
        let kept = match self.get(&key, version) {
            Some(kept) => kept,
            None => {
                let value = make.await?;
                let kept = Arc::new(Kept::new(version, value.to_json_string().into()));
                self.put(key, kept.clone());
                kept
            }
        };
        Ok(CachedJson::new(kept, req))
    }

    fn get(&self, key: &str, version: Version) -> Option<Arc<Kept>> {
        let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        answers.get(key).filter(|k| k.version == version).cloned()
    }

    fn put(&self, key: String, kept: Arc<Kept>) {
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.len() >= MAX_ANSWERS && !answers.contains_key(&key) {
            answers.clear();
        }
        answers.insert(key, kept);
    }
}

impl Kept {
    fn new(version: Version, json: bytes::Bytes) -> Self {
        let etag = crate::ical::etag(&json);
        Self {
            version,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            json: KeptBody::new(json),
        }
    }
}

/// A JSON answer of type `T` from the [`ReadCache`]: documented like
/// `Json<T>` (plus `304`), sent as the kept bytes.
pub struct CachedJson<T> {
    kept: Arc<Kept>,
    encoding: Encoding,
    not_modified: bool,
    _type: PhantomData<fn() -> T>,
}

impl<T> CachedJson<T> {
    fn new(kept: Arc<Kept>, req: &Request) -> Self {
        let not_modified = req.header(header::IF_NONE_MATCH).is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().as_bytes() == kept.etag.as_bytes())
        });
        Self {
            encoding: Encoding::accepted(req),
            kept,
            not_modified,
            _type: PhantomData,
        }
    }
}

impl<T: Send> IntoResponse for CachedJson<T> {
    fn into_response(self) -> Response {
        let base = Response::builder()
            .header(header::ETAG, self.kept.etag.clone())
            .header(header::VARY, "accept-encoding")
            .header(header::CACHE_CONTROL, "private, no-cache");
        if self.not_modified {
            return base.status(StatusCode::NOT_MODIFIED).finish();
        }
        let base = base.content_type("application/json; charset=utf-8");
        match self.kept.json.encoded(self.encoding) {
            (body, Some(coding)) => base.header(header::CONTENT_ENCODING, coding).body(body),
            (body, None) => base.body(body),
        }
    }
}

impl<T: ToJSON + Send> ApiResponse for CachedJson<T> {
    fn meta() -> MetaResponses {
        let etag = MetaHeader {
            name: "ETag".into(),
            description: Some("Send it back in If-None-Match to get 304 while unchanged".into()),
            required: true,
            deprecated: false,
            schema: String::schema_ref(),
        };
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "",
                    status: Some(200),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: Json::<T>::CONTENT_TYPE,
                        schema: Json::<T>::schema_ref(),
                    }],
                    headers: vec![etag],
                },
                MetaResponse {
                    description: "Not modified since the ETag sent in If-None-Match",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_counts_only_while_the_day_may_be_today_somewhere() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap_or_default();
        assert_eq!(clock_for_day(at("2026-11-30T09:59:59Z"), day), 0);
        let kiritimati_morning = at("2026-11-30T10:00:00Z");
        assert_eq!(
            clock_for_day(kiritimati_morning, day),
            kiritimati_morning.timestamp()
        );
        let samoa_evening = at("2026-12-02T13:59:59Z");
        assert_eq!(clock_for_day(samoa_evening, day), samoa_evening.timestamp());
        assert_eq!(clock_for_day(at("2026-12-02T14:00:00Z"), day), 1);
    }

    #[test]
    fn an_answer_is_kept_only_for_its_version() {
        let cache = ReadCache::default();
        let v1 = Version {
            stamp: ChangeStamp::default(),
            clock: 1,
        };
        let v2 = Version { clock: 2, ..v1 };
        cache.put("k".into(), Arc::new(Kept::new(v1, "[]".into())));
        assert!(cache.get("k", v1).is_some());
        assert!(cache.get("k", v2).is_none());
        assert!(cache.get("other", v1).is_none());
    }
}
