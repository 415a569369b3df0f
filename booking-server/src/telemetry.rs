//! Logs to stderr (plain or JSON), and — with the `otlp` Cargo feature and
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
//! set — every request's span exported over OTLP/HTTP (protobuf) to a
//! collector, with `service.name = booking-server`. Off by default: the
//! default build has no OpenTelemetry code at all.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// Keep it until the process ends: dropping it flushes exported spans.
pub struct Guard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(p) = self.provider.take()
            && let Err(e) = p.shutdown()
        {
            eprintln!("warning: exporting the last traces failed: {e}");
        }
    }
}

fn endpoint_set() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
}

type Boxed = Box<dyn Layer<Registry> + Send + Sync>;

/// Install the global subscriber. `format` is `json` or anything else for plain text.
pub fn init(format: &str) -> Guard {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt: Boxed = if format == "json" {
        Box::new(fmt.json().with_filter(filter))
    } else {
        Box::new(fmt.with_filter(filter))
    };
    #[cfg_attr(not(feature = "otlp"), allow(unused_mut))]
    let mut layers = vec![fmt];
    #[cfg(feature = "otlp")]
    let mut provider = None;
    if endpoint_set() {
        #[cfg(feature = "otlp")]
        match otlp() {
            Ok((layer, p)) => {
                layers.push(layer);
                provider = Some(p);
            }
            Err(e) => eprintln!("warning: OTLP trace export is off: {e}"),
        }
        #[cfg(not(feature = "otlp"))]
        eprintln!(
            "warning: OTEL_EXPORTER_OTLP_ENDPOINT is set, but this build has no OTLP export \
             (build with --features otlp)"
        );
    }
    tracing_subscriber::registry().with(layers).init();
    Guard {
        #[cfg(feature = "otlp")]
        provider,
    }
}

#[cfg(feature = "otlp")]
fn otlp() -> Result<(Boxed, opentelemetry_sdk::trace::SdkTracerProvider), String> {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::WithExportConfig as _;

    // The endpoint, headers and timeout come from the standard OTEL_* variables.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .build()
        .map_err(|e| e.to_string())?;
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("booking-server")
                .build(),
        )
        .build();
    let tracer = provider.tracer("booking-server");
    // Spans only (the request span and what runs inside it), at info and above.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_filter(tracing_subscriber::filter::LevelFilter::INFO);
    Ok((Box::new(layer), provider))
}
