//! How one identity provider is configured (`[[auth.oidc_providers]]` in the server's file).

use serde::Deserialize;

use crate::roles::RoleMapping;

/// One configured identity provider. (Not `Serialize`: it holds the client
/// secret, which `Debug` shows redacted.)
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderConfig {
    /// Short name used in URLs (`/auth/oidc/{name}/login`).
    pub name: String,
    /// Shown on the login page.
    #[serde(default)]
    pub display_name: String,
    /// The issuer identifier; discovery reads
    /// `{issuer_url}/.well-known/openid-configuration`, whose `issuer` must
    /// be this exact URL.
    pub issuer_url: String,
    /// The client (application) id registered at the provider.
    pub client_id: String,
    /// The client secret (none for a public client using PKCE alone).
    #[serde(default)]
    pub client_secret: Option<secrecy::SecretString>,
    /// Scopes asked for; `openid` is always sent.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Claim → role mappings (see [`crate::map_grant`]).
    #[serde(default)]
    pub role_mappings: Vec<RoleMapping>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use booking_core::Role;
    use serde_json::json;

    #[test]
    fn config_reads_from_toml_shapes() {
        let c: ProviderConfig = serde_json::from_value(json!({
            "name": "corp", "issuer_url": "https://idp", "client_id": "x",
            "role_mappings": [{"value": "facilities", "role": "room_admin", "floors": [2]}]
        }))
        .expect("config");
        assert_eq!(c.scopes, vec!["openid", "email", "profile"]);
        assert_eq!(c.role_mappings[0].claim, "groups");
        assert_eq!(c.role_mappings[0].role, Role::RoomAdmin);
    }
}
