//! E-mail addresses: checked and normalised once, where they enter.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::input::InputError;

/// An e-mail address as accounts use it: trimmed, lower-case, one `@`
/// with a non-empty local part and a dotted domain, at most 254
/// characters, no whitespace or control characters. Two spellings of one
/// address (`Ann@Example.com `, `ann@example.com`) are the same `Email`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Check and normalise `text`; the error names the field `email`.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        crate::input::refuse_control_characters("email", text)?;
        let email = text.trim().to_ascii_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
            })
            && !email.contains(char::is_whitespace);
        if valid {
            Ok(Self(email))
        } else {
            Err(InputError::Invalid {
                field: "email",
                reason: format!("{email:?} is not an e-mail address"),
            })
        }
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Email {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Email {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for Email {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for Email {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl TryFrom<String> for Email {
    type Error = InputError;
    fn try_from(text: String) -> Result<Self, InputError> {
        Self::parse(&text)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl std::str::FromStr for Email {
    type Err = InputError;
    fn from_str(text: &str) -> Result<Self, InputError> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_address_are_one_email() {
        let a = Email::parse(" Ann@Example.COM ").expect("valid");
        assert_eq!(a, Email::parse("ann@example.com").expect("valid"));
        assert_eq!(a.as_str(), "ann@example.com");
        assert_eq!(a.domain(), "example.com");
    }

    #[test]
    fn what_is_not_an_address_is_refused_naming_the_field() {
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a nn@example.com",
            "ann@.com",
            "ann@ex\u{7}.com",
        ] {
            match Email::parse(bad) {
                Err(InputError::Invalid { field, .. }) => assert_eq!(field, "email", "{bad:?}"),
                Err(other) => assert!(other.to_string().contains("email"), "{bad:?}: {other}"),
                Ok(e) => panic!("{bad:?} was taken as {e}"),
            }
        }
    }

    #[test]
    fn serde_checks_what_it_reads() {
        let e: Email = serde_json::from_str("\"Ann@Example.com\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&e).expect("json"),
            "\"ann@example.com\""
        );
        assert!(serde_json::from_str::<Email>("\"nope\"").is_err());
    }
}
