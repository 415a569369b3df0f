//! Where webhooks may go: http(s) URLs without credentials, and never to an
//! address in the deny-list (private, loopback and link-local ranges by
//! default). The check runs on the URL when it is registered and again on
//! every address the name resolves to when a delivery connects, so a name
//! that later resolves inside the network is refused too.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Ranges refused unless the operator says otherwise
/// (`BOOKING_WEBHOOK_DENIED_NETWORKS`).
pub const DEFAULT_DENIED: &[&str] = &[
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "::/128",
    "::1/128",
    "::ffff:0:0/96",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
];

/// The deny-list in force.
#[derive(Debug, Clone, Default)]
pub struct DenyList(Vec<IpNet>);

impl DenyList {
    /// Parse CIDR ranges (`10.0.0.0/8`, `fe80::/10`); the first bad one is named.
    pub fn parse<S: AsRef<str>>(ranges: &[S]) -> Result<Self, String> {
        ranges
            .iter()
            .map(|r| {
                let r = r.as_ref().trim();
                r.parse::<IpNet>()
                    .or_else(|_| r.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{r:?} is not an address range like 10.0.0.0/8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    /// No range at all: every address is allowed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn denies(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// Why a URL may not receive webhooks.
pub fn check_url(url: &str, deny: &DenyList) -> Result<reqwest::Url, String> {
    if url.len() > 2000 {
        return Err("at most 2000 characters".into());
    }
    let parsed =
        reqwest::Url::parse(url).map_err(|e| format!("not an absolute http(s) URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must start with https:// or http://".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "must not carry a user name or password; the signature authenticates us".into(),
        );
    }
    match parsed.host() {
        None => return Err("has no host".into()),
        Some(url::Host::Ipv4(ip)) if deny.denies(IpAddr::V4(ip)) => {
            return Err(format!("{ip} is in a denied address range"));
        }
        Some(url::Host::Ipv6(ip)) if deny.denies(IpAddr::V6(ip)) => {
            return Err(format!("{ip} is in a denied address range"));
        }
        Some(url::Host::Domain(d))
            if (d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"))
                && deny.denies(IpAddr::from([127, 0, 0, 1])) =>
        {
            return Err(format!("{d} is a loopback name"));
        }
        _ => {}
    }
    Ok(parsed)
}

/// A resolver that drops denied addresses (and fails when none is left).
#[derive(Debug, Clone)]
pub struct GuardedResolver(pub Arc<DenyList>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let deny = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| !deny.denies(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves only to denied addresses").into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> DenyList {
        DenyList::parse(DEFAULT_DENIED).expect("defaults parse")
    }

    #[test]
    fn private_and_loopback_addresses_are_refused_by_default() {
        let d = defaults();
        for bad in [
            "http://127.0.0.1:9000/hook",
            "http://10.1.2.3/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://localhost:8080/",
        ] {
            assert!(check_url(bad, &d).is_err(), "{bad} should be refused");
        }
        assert!(check_url("https://hooks.example.com/in", &d).is_ok());
        assert!(check_url("https://93.184.215.14/in", &d).is_ok());
    }

    #[test]
    fn urls_must_be_http_without_credentials() {
        let d = DenyList::default();
        assert!(check_url("ftp://example.com/", &d).is_err());
        assert!(check_url("https://user:pw@example.com/", &d).is_err());
        assert!(check_url("/relative", &d).is_err());
        assert!(
            check_url("http://127.0.0.1:9/", &d).is_ok(),
            "empty list allows all"
        );
    }

    #[test]
    fn bad_ranges_are_named() {
        let err = DenyList::parse(&["10.0.0.0/8", "ten"]).expect_err("bad");
        assert!(err.contains("\"ten\""), "{err}");
    }
}
