//! A body kept in memory to be served many times (a kept JSON answer, a
//! rendered calendar feed), with its `br` and `gzip` forms made once, on
//! the first request that accepts them.

use std::io::Write as _;
use std::sync::OnceLock;

use bytes::Bytes;
use poem::Request;
use poem::http::header;

/// The encodings a client accepts, best first: `br`, `gzip`, none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Brotli.
    Brotli,
    /// gzip.
    Gzip,
    /// As it is.
    Identity,
}

impl Encoding {
    /// The best encoding `req` accepts (an explicit `q=0` refuses one).
    pub fn accepted(req: &Request) -> Self {
        let Some(value) = req.header(header::ACCEPT_ENCODING) else {
            return Self::Identity;
        };
        let takes = |name: &str| {
            value.split(',').any(|part| {
                let mut it = part.split(';');
                let coding = it.next().unwrap_or("").trim();
                let refused = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        == Some(0.0)
                });
                coding.eq_ignore_ascii_case(name) && !refused
            })
        };
        if takes("br") {
            Self::Brotli
        } else if takes("gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }
}

/// A body and, once asked for, its compressed forms.
#[derive(Debug)]
pub struct KeptBody {
    raw: Bytes,
    gzip: OnceLock<Option<Bytes>>,
    br: OnceLock<Option<Bytes>>,
}

impl KeptBody {
    /// Keep `raw`; nothing is compressed yet.
    pub fn new(raw: Bytes) -> Self {
        Self {
            raw,
            gzip: OnceLock::new(),
            br: OnceLock::new(),
        }
    }

    /// The body as it is.
    pub fn raw(&self) -> &Bytes {
        &self.raw
    }

    /// The bytes to send in `encoding` and the `Content-Encoding` they need
    /// (`None`: as it is, also when compressing failed).
    pub fn encoded(&self, encoding: Encoding) -> (Bytes, Option<&'static str>) {
        let compressed = match encoding {
            Encoding::Brotli => self.br().map(|b| (b, "br")),
            Encoding::Gzip => self.gzip().map(|b| (b, "gzip")),
            Encoding::Identity => None,
        };
        match compressed {
            Some((b, coding)) => (b.clone(), Some(coding)),
            None => (self.raw.clone(), None),
        }
    }

    /// The gzip form (fast level: made while a request waits).
    pub fn gzip(&self) -> Option<&Bytes> {
        self.gzip
            .get_or_init(|| {
                let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                z.write_all(&self.raw).ok()?;
                z.finish().ok().map(Into::into)
            })
            .as_ref()
    }

    /// The Brotli form (quality 5: most of the gain at a fraction of the
    /// time of the best).
    pub fn br(&self) -> Option<&Bytes> {
        self.br
            .get_or_init(|| {
                let mut out = Vec::new();
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 5,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &self.raw[..], &mut out, &params).ok()?;
                Some(out.into())
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn req(accept: &str) -> Request {
        Request::builder()
            .header(header::ACCEPT_ENCODING, accept)
            .finish()
    }

    #[test]
    fn the_best_accepted_encoding_wins() {
        assert_eq!(
            Encoding::accepted(&req("gzip, deflate, br")),
            Encoding::Brotli
        );
        assert_eq!(Encoding::accepted(&req("gzip")), Encoding::Gzip);
        assert_eq!(
            Encoding::accepted(&req("br;q=0, gzip;q=0.5")),
            Encoding::Gzip
        );
        assert_eq!(Encoding::accepted(&req("identity")), Encoding::Identity);
        assert_eq!(
            Encoding::accepted(&Request::builder().finish()),
            Encoding::Identity
        );
    }

    #[test]
    fn compressed_forms_decode_to_the_body() {
        let text = "BEGIN:VEVENT\r\nSUMMARY:Weekly sync\r\nEND:VEVENT\r\n".repeat(200);
        let kept = KeptBody::new(text.clone().into());
        let (gz, coding) = kept.encoded(Encoding::Gzip);
        assert_eq!(coding, Some("gzip"));
        let mut out = String::new();
        let read = flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut out);
        assert!(read.is_ok());
        assert_eq!(out, text);
        let (br, coding) = kept.encoded(Encoding::Brotli);
        assert_eq!(coding, Some("br"));
        let mut unbr = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut unbr).unwrap_or_default();
        assert_eq!(unbr, text.as_bytes());
        assert!(gz.len() < text.len() / 4, "gzip shrinks repeated text");
        assert_eq!(kept.encoded(Encoding::Identity), (text.into(), None));
    }
}
