//! The configured OpenID Connect providers, discovered on first use.

use std::collections::HashMap;
use std::sync::Arc;

use booking_sso::{Provider, ProviderConfig};
use poem::http::StatusCode;
use tokio::sync::Mutex;

use crate::error::{ApiError, ApiResult};

/// The configured providers, discovered on first use (the server starts
/// even when a provider is down).
pub struct Sso {
    configs: Vec<ProviderConfig>,
    discovered: Mutex<HashMap<String, Arc<Provider>>>,
}

impl Sso {
    pub fn new(configs: Vec<ProviderConfig>) -> Self {
        Self {
            configs,
            discovered: Mutex::new(HashMap::new()),
        }
    }

    pub fn configs(&self) -> &[ProviderConfig] {
        &self.configs
    }

    pub(crate) async fn provider(&self, name: &str) -> ApiResult<Arc<Provider>> {
        let config = self
            .configs
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ApiError::not_found(format!("no sign-in provider named {name:?}")))?;
        let mut cache = self.discovered.lock().await;
        if let Some(p) = cache.get(name) {
            return Ok(p.clone());
        }
        let http = booking_sso::http_client().map_err(ApiError::internal)?;
        let p = Arc::new(
            Provider::discover(config.clone(), http)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "OpenID discovery failed");
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("the sign-in provider {name:?} cannot be reached; try again later"),
                    )
                })?,
        );
        cache.insert(name.to_string(), p.clone());
        Ok(p)
    }
}
