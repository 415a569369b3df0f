//! # booking-email
//!
//! * [`SmtpSettings`]: an SMTP relay from one URL —
//!   `smtp://user:pass@host:587` (STARTTLS required), `smtps://…:465`
//!   (implicit TLS), `smtp://host:25?tls=none` (plain, for a local relay);
//!   an extra CA file may be trusted (a private relay's certificate).
//! * [`compose`]: a notification as `multipart/alternative` (text, HTML and,
//!   for iMIP per RFC 6047, `text/calendar; method=…`).
//! * [`Templates`]: plain-text and HTML templates with `{placeholders}`,
//!   built in and overridable from a directory.
//! * [`read_calendar_part`]: the iCalendar part of an incoming message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mail_parser::MimeHeaders;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Incoming messages larger than this are refused unread.
pub const MAX_MESSAGE: usize = 2 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad SMTP URL: {0}")]
    Url(String),
    #[error("bad address {0:?}")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("SMTP delivery failed: {0}")]
    Send(String),
    #[error("the message is over {MAX_MESSAGE} bytes")]
    TooLarge,
    #[error("the message is not a readable e-mail")]
    Unreadable,
    #[error("the message has no text/calendar part")]
    NoCalendar,
    #[error("template {0}: {1}")]
    Template(String, String),
}

/// How to reach the SMTP relay.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub user: Option<String>,
    pub password: Option<String>,
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (smtps).
    Implicit,
    /// No TLS (a relay on the same host).
    None,
}

fn decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

impl SmtpSettings {
    /// Parse `smtp[s]://[user[:password]@]host[:port][?tls=required|none]`.
    pub fn from_url(url: &str, ca_file: Option<&Path>) -> Result<Self, MailError> {
        let bad = |why: &str| MailError::Url(why.to_string());
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, rest),
        };
        let mut tls = match scheme {
            "smtp" => TlsMode::StartTls,
            "smtps" => TlsMode::Implicit,
            other => {
                return Err(MailError::Url(format!(
                    "scheme {other:?}: use smtp or smtps"
                )));
            }
        };
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match (k.as_ref(), v.as_ref()) {
                ("tls", "required" | "starttls") => tls = TlsMode::StartTls,
                ("tls", "none" | "off") => tls = TlsMode::None,
                ("tls", "implicit") => tls = TlsMode::Implicit,
                (k, _) => return Err(MailError::Url(format!("unknown parameter {k:?}"))),
            }
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h.to_string(),
                p.parse().map_err(|_| bad("the port is not a number"))?,
            ),
            None => (
                hostport.to_string(),
                if tls == TlsMode::Implicit { 465 } else { 587 },
            ),
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let (user, password) = match userinfo {
            Some(u) => match u.split_once(':') {
                Some((n, p)) => (Some(decode(n)), Some(decode(p))),
                None => (Some(decode(u)), None),
            },
            None => (None, None),
        };
        Ok(Self {
            host,
            port,
            tls,
            user,
            password,
            ca_file: ca_file.map(Path::to_path_buf),
        })
    }

    /// A pooled async transport.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
        let err = |e: lettre::transport::smtp::Error| MailError::Url(e.to_string());
        let params = || -> Result<TlsParameters, MailError> {
            let mut b = TlsParameters::builder(self.host.clone());
            if let Some(ca) = &self.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| MailError::Url(format!("CA file {}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem).map_err(err)?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(err)
        };
        let mut t = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .timeout(Some(Duration::from_secs(20)));
        t = match self.tls {
            TlsMode::StartTls => t.tls(Tls::Required(params()?)),
            TlsMode::Implicit => t.tls(Tls::Wrapper(params()?)),
            TlsMode::None => t.tls(Tls::None),
        };
        if let Some(user) = &self.user {
            t = t.credentials(Credentials::new(
                user.clone(),
                self.password.clone().unwrap_or_default(),
            ));
        }
        Ok(t.build())
    }
}

/// Send one already composed message.
pub async fn send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<(), MailError> {
    let from: lettre::Address = from.parse().map_err(|_| MailError::Address(from.into()))?;
    let to: lettre::Address = to.parse().map_err(|_| MailError::Address(to.into()))?;
    let envelope = lettre::address::Envelope::new(Some(from), vec![to])
        .map_err(|e| MailError::Build(e.to_string()))?;
    transport
        .send_raw(&envelope, message)
        .await
        .map(|_| ())
        .map_err(|e| MailError::Send(e.to_string()))
}

/// A message to compose.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub from: &'a str,
    pub from_name: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// iMIP: the METHOD and the iCalendar object.
    pub calendar: Option<(&'a str, &'a str)>,
    /// `<id@host>`; stable per message so a retried delivery can be spotted.
    pub message_id: &'a str,
}

/// RFC 5322 bytes: `multipart/alternative` of text, HTML and the calendar.
pub fn compose(m: &Outgoing<'_>) -> Result<Vec<u8>, MailError> {
    let from = Mailbox::new(
        Some(m.from_name.to_string()),
        m.from
            .parse()
            .map_err(|_| MailError::Address(m.from.into()))?,
    );
    let to: Mailbox = m.to.parse().map_err(|_| MailError::Address(m.to.into()))?;
    let mut alt = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(m.text.to_string()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(m.html.to_string()),
        );
    if let Some((method, ics)) = m.calendar {
        let ct = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
            .map_err(|e| MailError::Build(e.to_string()))?;
        alt = alt.singlepart(SinglePart::builder().header(ct).body(ics.to_string()));
    }
    let msg = lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(m.subject)
        .message_id(Some(m.message_id.to_string()))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-generated".into(),
        ))
        .multipart(alt)
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(msg.formatted())
}

/// What an incoming message says, as far as a room cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub from: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    pub calendar: String,
}

/// The first `text/calendar` part (inline or attached) of a raw message.
pub fn read_calendar_part(raw: &[u8]) -> Result<Incoming, MailError> {
    if raw.len() > MAX_MESSAGE {
        return Err(MailError::TooLarge);
    }
    let msg = mail_parser::MessageParser::default()
        .parse(raw)
        .ok_or(MailError::Unreadable)?;
    if msg.parts.is_empty() || (msg.from().is_none() && msg.subject().is_none()) {
        return Err(MailError::Unreadable);
    }
    let calendar = msg
        .parts
        .iter()
        .find(|p| {
            p.content_type().is_some_and(|ct| {
                ct.c_type.eq_ignore_ascii_case("text")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("calendar"))
            }) || p
                .attachment_name()
                .is_some_and(|n| n.to_ascii_lowercase().ends_with(".ics"))
        })
        .and_then(|p| match &p.body {
            mail_parser::PartType::Text(t) => Some(t.to_string()),
            mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) => {
                String::from_utf8(b.to_vec()).ok()
            }
            _ => None,
        })
        .ok_or(MailError::NoCalendar)?;
    Ok(Incoming {
        from: msg
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.to_ascii_lowercase()),
        subject: msg.subject().unwrap_or("").to_string(),
        message_id: msg.message_id().map(str::to_string),
        calendar,
    })
}

/// The plain-text body of a raw message (decoded), if it has one.
pub fn text_of(raw: &[u8]) -> Option<String> {
    let msg = mail_parser::MessageParser::default().parse(raw)?;
    msg.body_text(0).map(|t| t.into_owned())
}

/// The kinds of notification, each a template.
pub const KINDS: &[&str] = &[
    "created",
    "pending",
    "approval_request",
    "approved",
    "rejected",
    "cancelled",
    "updated",
    "no_show",
    "waitlist",
    "reminder",
    "reply_accepted",
    "reply_tentative",
    "reply_declined",
];

fn builtin(kind: &str) -> Option<(&'static str, &'static str)> {
    // (subject, text); the HTML is the text in a <pre>-free paragraph layout.
    Some(match kind {
        "created" => (
            "Booked: {title} in {room}",
            "Your booking is confirmed.\n\n{details}\n\nThe attached invitation adds it to your calendar.",
        ),
        "pending" => (
            "Awaiting approval: {title} in {room}",
            "Your booking waits for an approver.\n\n{details}\n\nYou will get another message when it is decided.",
        ),
        "approval_request" => (
            "To approve: {title} in {room} by {organizer}",
            "{organizer} asks to book {room}.\n\n{details}\n\nApprove or reject it in the approval queue: {link}",
        ),
        "approved" => (
            "Approved: {title} in {room}",
            "Your booking was approved.\n\n{details}",
        ),
        "rejected" => (
            "Rejected: {title} in {room}",
            "Your booking was rejected.\n\n{details}\n\n{reason}",
        ),
        "cancelled" => (
            "Cancelled: {title} in {room}",
            "This booking is cancelled.\n\n{details}\n\n{reason}",
        ),
        "updated" => (
            "Changed: {title} in {room}",
            "Your booking was changed.\n\n{details}",
        ),
        "no_show" => (
            "Released: {title} in {room}",
            "Nobody checked in, so the room was released for others.\n\n{details}",
        ),
        "waitlist" => (
            "Booked from the waitlist: {title} in {room}",
            "A slot you waited for became free and is now yours.\n\n{details}",
        ),
        "reminder" => (
            "Reminder: {title} in {room} at {start}",
            "Your booking starts soon.\n\n{details}\n\nRemember to check in.",
        ),
        "reply_accepted" => (
            "Accepted: {title}",
            "{room} accepted your invitation.\n\n{details}",
        ),
        "reply_tentative" => (
            "Tentative: {title}",
            "{room} holds the time for you; an approver still has to confirm it.\n\n{details}",
        ),
        "reply_declined" => (
            "Declined: {title}",
            "{room} declined your invitation: {reason}\n\n{details}\n\n{alternatives}",
        ),
        "guest_confirm" => (
            "Confirm your request: {title} in {room}",
            "Hello {name},\n\nyou asked for {room} ({start}) for \"{title}\". Open this link and confirm, and the request goes to the room's approvers:\n\n{link}\n\nThe link works for {hours} hours. If you did not ask for a room, ignore this message: nothing happens without the confirmation.",
        ),
        "webhook_disabled" => (
            "Webhook disabled: {url}",
            "After {failures} failed deliveries in a row, the webhook endpoint {url} was disabled.\n\nLast answer: {error}\n\nEvents are kept for it. Fix the receiver, then enable the endpoint again: {link}",
        ),
        _ => return None,
    })
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn fill(template: &str, vars: &BTreeMap<&str, String>, html: bool) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                let key = &after[..close];
                let value = vars.get(key).cloned().unwrap_or_default();
                out.push_str(&if html { escape_html(&value) } else { value });
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Notification templates: built in, or `DIR/{kind}.subject`, `DIR/{kind}.txt`
/// and `DIR/{kind}.html` where present.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    pub dir: Option<PathBuf>,
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Templates {
    pub fn render(&self, kind: &str, vars: &BTreeMap<&str, String>) -> Result<Rendered, MailError> {
        let (subject, text) =
            builtin(kind).ok_or_else(|| MailError::Template(kind.into(), "unknown kind".into()))?;
        let read = |ext: &str| -> Option<String> {
            let dir = self.dir.as_ref()?;
            std::fs::read_to_string(dir.join(format!("{kind}.{ext}"))).ok()
        };
        let subject_t = read("subject").unwrap_or_else(|| subject.to_string());
        let text_t = read("txt").unwrap_or_else(|| text.to_string());
        let html = match read("html") {
            Some(h) => fill(&h, vars, true),
            None => {
                let body = fill(&text_t, vars, true)
                    .split("\n\n")
                    .map(|p| format!("<p>{}</p>", p.replace('\n', "<br>")))
                    .collect::<Vec<_>>()
                    .join("\n");
                format!("<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n")
            }
        };
        Ok(Rendered {
            subject: fill(subject_t.lines().next().unwrap_or(""), vars, false),
            text: fill(&text_t, vars, false),
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls() {
        let s = SmtpSettings::from_url("smtp://bob%40x.org:p%3Ass@mail.example.com:2525", None)
            .expect("url");
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 2525);
        assert_eq!(s.tls, TlsMode::StartTls);
        assert_eq!(s.user.as_deref(), Some("bob@x.org"));
        assert_eq!(s.password.as_deref(), Some("p:ss"));
        assert!(!format!("{s:?}").contains("p:ss"), "no password in logs");
        let s = SmtpSettings::from_url("smtps://relay", None).expect("smtps");
        assert_eq!((s.port, s.tls), (465, TlsMode::Implicit));
        let s = SmtpSettings::from_url("smtp://127.0.0.1:25?tls=none", None).expect("plain");
        assert_eq!(s.tls, TlsMode::None);
        for bad in [
            "http://x",
            "smtp://",
            "smtp://h:port",
            "smtp://h?tls=maybe&x=1",
            "nothing",
        ] {
            assert!(SmtpSettings::from_url(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn templates_escape_html_and_leave_unknown_braces() {
        let t = Templates::default();
        let mut v = BTreeMap::new();
        v.insert("title", "Q&A <live>".to_string());
        v.insert("room", "Blue".to_string());
        v.insert("details", "What: Q&A <live>\nWhen: {not a var}".to_string());
        let r = t.render("approved", &v).expect("render");
        assert_eq!(
            r.subject, "Approved: Q&A <live> in Blue",
            "subjects are plain text"
        );
        assert!(r.html.contains("Q&amp;A &lt;live&gt;"), "{}", r.html);
        assert!(!r.html.contains("<live>"), "{}", r.html);
        assert!(r.text.contains("What: Q&A <live>"));
        assert!(r.text.contains("When: {not a var}"));
        assert!(t.render("nonsense", &v).is_err());
        // Every kind has a built-in template with a subject and both bodies.
        for kind in KINDS {
            let r = t.render(kind, &v).expect(kind);
            assert!(!r.subject.is_empty() && !r.text.is_empty(), "{kind}");
            assert!(r.html.contains("<p>"), "{kind}");
        }
    }

    #[test]
    fn composed_imip_reads_back() {
        let raw = compose(&Outgoing {
            from: "rooms@example.com",
            from_name: "Room booking",
            to: "alice@example.com",
            subject: "Booked: Planning",
            text: "text",
            html: "<p>html</p>",
            calendar: Some((
                "REQUEST",
                "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
            )),
            message_id: "<1@example.com>",
        })
        .expect("compose");
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("method=REQUEST"), "{text}");
        let inc = read_calendar_part(&raw).expect("read");
        assert_eq!(inc.from.as_deref(), Some("rooms@example.com"));
        assert!(inc.calendar.starts_with("BEGIN:VCALENDAR"));
        assert!(matches!(
            read_calendar_part(b"Subject: x\r\n\r\nhello"),
            Err(MailError::NoCalendar)
        ));
        assert!(matches!(
            read_calendar_part(&vec![b'a'; MAX_MESSAGE + 1]),
            Err(MailError::TooLarge)
        ));
    }
}
