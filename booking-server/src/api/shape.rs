//! Say which field of a JSON body is wrong, and what was expected.
//!
//! poem-openapi refuses a body of the wrong shape with a message about its
//! own types (`failed to parse "integer(uint32)"… (occurred while parsing
//! "BookingIn")`). When it does, the body is checked again here against the
//! operation's schema in our OpenAPI document, to answer with the field as a
//! JSON pointer and the expectation in words. (A JSON Schema crate does not
//! fit: OpenAPI 3.0 keeps integer ranges in `format` — `uint32` — which JSON
//! Schema validators ignore for numbers, and its messages are its own.)

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

/// What is wrong with a body: the JSON pointer of the field ("" for the whole
/// body) and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for ShapeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

/// The API's OpenAPI document, parsed once.
pub fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(&super::service().spec()).unwrap_or_default())
}

/// The path template of the document that `path` (under `/api/v1`) matches.
pub fn template_of<'a>(spec: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    let rest = path.strip_prefix("/api/v1")?;
    let asked: Vec<&str> = rest.trim_matches('/').split('/').collect();
    spec["paths"]
        .as_object()?
        .iter()
        .find_map(|(template, ops)| {
            let segments: Vec<&str> = template.trim_matches('/').split('/').collect();
            let matches = segments.len() == asked.len()
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(s, a)| s == a || (s.starts_with('{') && s.ends_with('}')));
            matches.then_some((template.as_str(), ops))
        })
}

/// The first problem of `body` for `method path`, if the document has a
/// JSON schema for that operation's body and the body breaks it.
pub fn check(method: &str, path: &str, body: &[u8]) -> Option<ShapeError> {
    let spec = spec();
    let (_, ops) = template_of(spec, path)?;
    let content = ops[method.to_ascii_lowercase()]["requestBody"]["content"].as_object()?;
    let schema = content
        .iter()
        .find(|(ctype, _)| ctype.contains("json"))
        .map(|(_, c)| &c["schema"])?;
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            return Some(ShapeError {
                pointer: String::new(),
                message: format!(
                    "the body is not valid JSON: {} (line {}, column {})",
                    strip_position(&e.to_string()),
                    e.line(),
                    e.column()
                ),
            });
        }
    };
    Checker { spec }.value(schema, &value, &mut String::new())
}

fn strip_position(msg: &str) -> &str {
    msg.split(" at line ").next().unwrap_or(msg)
}

struct Checker<'a> {
    spec: &'a Value,
}

/// Patterns of the document, in words.
const PATTERNS: [(&str, &str); 1] = [(
    r"^([01]\d|2[0-3]):[0-5]\d$",
    "a time of day as HH:MM, such as 09:30",
)];

impl<'a> Checker<'a> {
    /// Follow `$ref` and single-element `allOf` (how poem-openapi describes
    /// a nested object with its own description).
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..16 {
            if let Some(r) = schema["$ref"].as_str() {
                let name = r.rsplit('/').next().unwrap_or_default();
                schema = &self.spec["components"]["schemas"][name];
            } else if let Some(first) = schema["allOf"].as_array().and_then(|a| a.first()) {
                schema = first;
            } else {
                break;
            }
        }
        schema
    }

    fn value(&self, schema: &'a Value, v: &Value, at: &mut String) -> Option<ShapeError> {
        let schema = self.resolve(schema);
        let fail = |message: String| {
            Some(ShapeError {
                pointer: at.clone(),
                message,
            })
        };
        let expected = describe(schema);
        if v.is_null() {
            return if schema["nullable"].as_bool() == Some(true) {
                None
            } else {
                fail(format!("expected {expected}, found null"))
            };
        }
        if let Some(allowed) = schema["enum"].as_array()
            && !allowed.contains(v)
        {
            return fail(format!("expected {expected}, found {}", found(v)));
        }
        match schema["type"].as_str() {
            Some("object") => match v.as_object() {
                Some(o) => self.object(schema, o, at),
                None => fail(format!("expected {expected}, found {}", found(v))),
            },
            Some("array") => match v.as_array() {
                Some(items) => self.array(schema, items, at),
                None => fail(format!("expected {expected}, found {}", found(v))),
            },
            Some("string") => match v.as_str() {
                Some(s) => string(schema, s).and_then(fail),
                None => fail(format!("expected {expected}, found {}", found(v))),
            },
            Some("integer") => match v.as_number() {
                Some(n) if n.is_i64() || n.is_u64() => range(schema, n).and_then(fail),
                _ => fail(format!("expected {expected}, found {}", found(v))),
            },
            Some("number") => match v.as_number() {
                Some(n) => range(schema, n).and_then(fail),
                None => fail(format!("expected {expected}, found {}", found(v))),
            },
            Some("boolean") if !v.is_boolean() => {
                fail(format!("expected {expected}, found {}", found(v)))
            }
            _ => None,
        }
    }

    fn object(
        &self,
        schema: &'a Value,
        o: &Map<String, Value>,
        at: &mut String,
    ) -> Option<ShapeError> {
        let props = schema["properties"].as_object();
        if let Some(required) = schema["required"].as_array() {
            for name in required.iter().filter_map(Value::as_str) {
                if !o.contains_key(name) {
                    let what = props
                        .and_then(|p| p.get(name))
                        .map(|s| describe(self.resolve(s)))
                        .unwrap_or_else(|| "a value".into());
                    return Some(ShapeError {
                        pointer: format!("{at}/{}", escape(name)),
                        message: format!("required: {what}"),
                    });
                }
            }
        }
        let props = props?;
        for (name, v) in o {
            let Some(prop) = props.get(name) else {
                continue;
            };
            // poem-openapi reads null as absent for an optional field.
            let optional = !schema["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|n| n == name.as_str()));
            if v.is_null() && optional {
                continue;
            }
            let len = at.len();
            at.push('/');
            at.push_str(&escape(name));
            let found = self.value(prop, v, at);
            at.truncate(len);
            if found.is_some() {
                return found;
            }
        }
        None
    }

    fn array(&self, schema: &'a Value, items: &[Value], at: &mut String) -> Option<ShapeError> {
        let n = items.len() as f64;
        if let Some(max) = schema["maxItems"].as_f64()
            && n > max
        {
            return Some(ShapeError {
                pointer: at.clone(),
                message: format!("at most {max} items, found {n}"),
            });
        }
        if let Some(min) = schema["minItems"].as_f64()
            && n < min
        {
            return Some(ShapeError {
                pointer: at.clone(),
                message: format!("at least {min} items, found {n}"),
            });
        }
        for (i, item) in items.iter().enumerate() {
            let len = at.len();
            at.push_str(&format!("/{i}"));
            let found = self.value(&schema["items"], item, at);
            at.truncate(len);
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

/// JSON pointer escaping of one segment (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// What a schema asks for, in words.
fn describe(schema: &Value) -> String {
    if let Some(allowed) = schema["enum"].as_array() {
        let names: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        return format!("one of {}", names.join(", "));
    }
    let format = schema["format"].as_str().unwrap_or_default();
    match (schema["type"].as_str().unwrap_or_default(), format) {
        ("string", "uuid") => "a UUID such as 3f2b8c1e-9d4a-4c6b-8e2f-1a2b3c4d5e6f".into(),
        ("string", "date-time") => "an RFC 3339 date-time such as 2026-12-01T09:00:00Z".into(),
        ("string", "naive-date") => "a date such as 2026-12-01".into(),
        ("string", "naive-date-time") => "a local date-time such as 2026-12-01T09:00:00".into(),
        ("string", _) => match schema["pattern"].as_str() {
            Some(p) => PATTERNS.iter().find(|(known, _)| *known == p).map_or_else(
                || format!("a string matching {p}"),
                |(_, words)| words.to_string(),
            ),
            None => "a string".into(),
        },
        ("integer", _) => {
            let (lo, hi) = bounds(schema);
            match (lo, hi) {
                (Some(lo), Some(hi)) => format!("a whole number from {lo} to {hi}"),
                (Some(lo), None) => format!("a whole number of at least {lo}"),
                (None, Some(hi)) => format!("a whole number of at most {hi}"),
                (None, None) => "a whole number".into(),
            }
        }
        ("number", _) => "a number".into(),
        ("boolean", _) => "true or false".into(),
        ("array", _) => "a list".into(),
        ("object", _) => "an object".into(),
        _ => "a value".into(),
    }
}

/// The range an integer schema allows: its minimum/maximum, else its format's.
fn bounds(schema: &Value) -> (Option<i128>, Option<i128>) {
    let (flo, fhi): (Option<i128>, Option<i128>) = match schema["format"].as_str() {
        Some("int8") => (Some(i8::MIN.into()), Some(i8::MAX.into())),
        Some("int16") => (Some(i16::MIN.into()), Some(i16::MAX.into())),
        Some("int32") => (Some(i32::MIN.into()), Some(i32::MAX.into())),
        Some("int64") => (Some(i64::MIN.into()), Some(i64::MAX.into())),
        Some("uint8") => (Some(0), Some(u8::MAX.into())),
        Some("uint16") => (Some(0), Some(u16::MAX.into())),
        Some("uint32") => (Some(0), Some(u32::MAX.into())),
        Some("uint64") => (Some(0), Some(u64::MAX.into())),
        _ => (None, None),
    };
    let num = |k: &str| schema[k].as_f64().map(|f| f as i128);
    (
        num("minimum").or(flo).filter(|v| *v > i64::MIN.into()),
        num("maximum").or(fhi).filter(|v| *v < u64::MAX.into()),
    )
}

fn range(schema: &Value, n: &serde_json::Number) -> Option<String> {
    let v = n.as_f64()?;
    let (lo, hi) = if schema["type"] == "integer" {
        bounds(schema)
    } else {
        (
            schema["minimum"].as_f64().map(|f| f as i128),
            schema["maximum"].as_f64().map(|f| f as i128),
        )
    };
    let out = lo.is_some_and(|lo| v < lo as f64) || hi.is_some_and(|hi| v > hi as f64);
    out.then(|| format!("expected {}, found {n}", describe(schema)))
}

fn string(schema: &Value, s: &str) -> Option<String> {
    let chars = s.chars().count() as f64;
    if let Some(min) = schema["minLength"].as_f64()
        && chars < min
    {
        let unit = if min == 1.0 {
            "character"
        } else {
            "characters"
        };
        return Some(format!("must be at least {min} {unit} long"));
    }
    if let Some(max) = schema["maxLength"].as_f64()
        && chars > max
    {
        return Some(format!(
            "must be at most {max} characters long, found {chars}"
        ));
    }
    let ok = match schema["format"].as_str() {
        Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
        Some("date-time") => DateTime::parse_from_rfc3339(s).is_ok(),
        Some("naive-date") => NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        Some("naive-date-time") => NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S").is_ok(),
        _ => schema["pattern"]
            .as_str()
            .and_then(|p| regex::Regex::new(p).ok())
            .is_none_or(|re| re.is_match(s)),
    };
    (!ok).then(|| {
        format!(
            "expected {}, found {}",
            describe(schema),
            found(&Value::from(s))
        )
    })
}

/// What a value is, in words (short scalars quoted).
fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() <= 40 => format!("{s:?}"),
        Value::String(_) => "a long string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_integers_and_strings_in_words() {
        let int = serde_json::json!({"type": "integer", "format": "uint32", "minimum": 1.0, "maximum": 100000.0});
        assert_eq!(describe(&int), "a whole number from 1 to 100000");
        assert_eq!(
            range(&int, &serde_json::Number::from(-1)).as_deref(),
            Some("expected a whole number from 1 to 100000, found -1")
        );
        let plain = serde_json::json!({"type": "integer", "format": "int32"});
        assert_eq!(
            describe(&plain),
            "a whole number from -2147483648 to 2147483647"
        );
        let time = serde_json::json!({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"});
        assert_eq!(
            string(&time, "9am").as_deref(),
            Some("expected a time of day as HH:MM, such as 09:30, found \"9am\"")
        );
        assert_eq!(string(&time, "09:30"), None);
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
