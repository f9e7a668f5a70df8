//! Which CRM the deployment serves: YClients, or Altegio — its international brand with
//! the same API under another host and `Accept` value (`CRM_BRAND`).

use serde::{Deserialize, Serialize};

/// The CRM brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrmBrand {
    /// `api.yclients.com`, Russian-speaking salons.
    #[default]
    Yclients,
    /// `api.alteg.io`, the international brand.
    Altegio,
}

impl CrmBrand {
    /// Reads `yclients` or `altegio` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "yclients" => Some(Self::Yclients),
            "altegio" => Some(Self::Altegio),
            _ => None,
        }
    }

    /// The name owners know it by, on pages and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Yclients => "YClients",
            Self::Altegio => "Altegio",
        }
    }

    /// The API root when `YCLIENTS_BASE_URL` is unset.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::Yclients => "https://api.yclients.com",
            Self::Altegio => "https://api.alteg.io",
        }
    }

    /// The `Accept` value its v2 API expects.
    pub fn accept(self) -> &'static str {
        match self {
            Self::Yclients => "application/vnd.yclients.v2+json",
            Self::Altegio => "application/vnd.api.v2+json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_differ_in_host_accept_and_name() {
        assert_eq!(CrmBrand::parse(" Altegio "), Some(CrmBrand::Altegio));
        assert_eq!(CrmBrand::parse("yclients"), Some(CrmBrand::Yclients));
        assert_eq!(CrmBrand::parse("amo"), None);
        assert_eq!(CrmBrand::Altegio.accept(), "application/vnd.api.v2+json");
        assert_eq!(
            CrmBrand::default().accept(),
            "application/vnd.yclients.v2+json"
        );
        assert_eq!(CrmBrand::Altegio.default_base_url(), "https://api.alteg.io");
    }
}
