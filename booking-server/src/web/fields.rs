//! A posted form kept as the pairs the browser sent, so a page that refuses
//! it can show back exactly what was typed, and read into typed values with
//! errors that name the field and the rule.

use std::str::FromStr;

/// The submitted pairs, in order (checkbox groups repeat a name).
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

/// What is wrong with a form: the field (its `name`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub rule: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl Fields {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `k`, trimmed ("" when absent).
    pub fn v(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.trim())
    }

    /// A ticked checkbox (present and not empty).
    pub fn on(&self, k: &str) -> bool {
        !self.v(k).is_empty()
    }

    /// Whether `k` has `value` among its values (a checkbox group).
    pub fn has(&self, k: &str, value: &str) -> bool {
        self.0.iter().any(|(n, v)| n == k && v == value)
    }

    /// Every value of `k`.
    pub fn all<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// Set `k` to `v` (replacing earlier values).
    pub fn set(&mut self, k: &str, v: impl Into<String>) {
        self.0.retain(|(n, _)| n != k);
        self.0.push((k.to_string(), v.into()));
    }

    /// Add a value to `k` (for checkbox groups).
    pub fn add(&mut self, k: &str, v: impl Into<String>) {
        self.0.push((k.to_string(), v.into()));
    }

    /// A required number.
    pub fn num<T: FromStr>(&self, k: &str, rule: &str) -> Result<T, Problem> {
        self.v(k).parse().map_err(|_| Problem::new(k, rule))
    }

    /// A number that may be left empty.
    pub fn opt_num<T: FromStr>(&self, k: &str, rule: &str) -> Result<Option<T>, Problem> {
        match self.v(k) {
            "" => Ok(None),
            v => v.parse().map(Some).map_err(|_| Problem::new(k, rule)),
        }
    }

    /// A value of a text enum (`"meeting"`, `"room_admin"`).
    pub fn choice<T: FromStr>(&self, k: &str, rule: &str) -> Result<T, Problem> {
        self.v(k).parse().map_err(|_| Problem::new(k, rule))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn numbers_name_the_field_when_they_do_not_parse() {
        let form = f(&[("capacity", " 12 "), ("floor", ""), ("window", "soon")]);
        assert_eq!(form.num::<u32>("capacity", "a whole number"), Ok(12));
        assert_eq!(form.opt_num::<i32>("floor", "a whole number"), Ok(None));
        assert_eq!(
            form.num::<u32>("window", "give days as a whole number"),
            Err(Problem::new("window", "give days as a whole number"))
        );
    }

    #[test]
    fn checkbox_groups_keep_every_value() {
        let mut form = f(&[("roles", "user"), ("roles", "room_admin"), ("x", "1")]);
        assert!(form.has("roles", "room_admin") && !form.has("roles", "super_admin"));
        assert_eq!(form.all("roles").count(), 2);
        form.set("x", "2");
        assert_eq!(form.v("x"), "2");
        assert!(form.on("x") && !form.on("missing"));
    }
}
