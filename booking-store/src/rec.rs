//! Reading a result row by column name, whatever the backend, with errors
//! that name the column.

use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::backend::{Row, SqlBackend};
use crate::error::{StoreError, corrupt};

/// A row of backend `B`.
pub struct Rec<'r, B: SqlBackend> {
    row: &'r Row<B>,
    backend: PhantomData<B>,
}

fn need<T>(col: &str, v: Result<Option<T>, sqlx::Error>) -> Result<T, StoreError> {
    v.map_err(|e| corrupt(col, e))?
        .ok_or_else(|| corrupt(col, "unexpected NULL"))
}

fn may<T>(col: &str, v: Result<Option<T>, sqlx::Error>) -> Result<Option<T>, StoreError> {
    v.map_err(|e| corrupt(col, e))
}

impl<'r, B: SqlBackend> Rec<'r, B> {
    pub fn new(row: &'r Row<B>) -> Self {
        Self {
            row,
            backend: PhantomData,
        }
    }

    pub fn int(&self, col: &str) -> Result<i64, StoreError> {
        need(col, B::int(self.row, col))
    }
    /// A count or size that must fit a `u32`.
    pub fn u32(&self, col: &str) -> Result<u32, StoreError> {
        let v = self.int(col)?;
        u32::try_from(v).map_err(|_| corrupt(col, format!("{v} out of range")))
    }
    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        may(col, B::int(self.row, col))
    }
    pub fn opt_int4(&self, col: &str) -> Result<Option<i32>, StoreError> {
        may(col, B::int4(self.row, col))
    }
    pub fn text(&self, col: &str) -> Result<String, StoreError> {
        need(col, B::text(self.row, col))
    }
    pub fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        may(col, B::text(self.row, col))
    }
    pub fn uuid(&self, col: &str) -> Result<Uuid, StoreError> {
        need(col, B::uuid(self.row, col))
    }
    pub fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>, StoreError> {
        may(col, B::uuid(self.row, col))
    }
    pub fn flag(&self, col: &str) -> Result<bool, StoreError> {
        need(col, B::boolean(self.row, col))
    }
    pub fn time(&self, col: &str) -> Result<DateTime<Utc>, StoreError> {
        need(col, B::time(self.row, col))
    }
    pub fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        may(col, B::time(self.row, col))
    }
    pub fn bytes(&self, col: &str) -> Result<Vec<u8>, StoreError> {
        need(col, B::bytes(self.row, col))
    }
    pub fn opt_json_value(&self, col: &str) -> Result<Option<serde_json::Value>, StoreError> {
        may(col, B::json(self.row, col))
    }
    /// A JSON column decoded into `T`.
    pub fn json<T: DeserializeOwned>(&self, col: &str) -> Result<T, StoreError> {
        let v = need(col, B::json(self.row, col))?;
        serde_json::from_value(v).map_err(|e| corrupt(col, e))
    }
    /// A text column holding one of an enum's names.
    pub fn parse<T: FromStr>(&self, col: &str) -> Result<T, StoreError> {
        let s = self.text(col)?;
        s.parse()
            .map_err(|_| corrupt(col, format!("unknown value {s:?}")))
    }
}
