//! The marketplace side of the configuration: what a salon pays (`TARIFFS`,
//! `TRIAL_PERIOD`), how long an install may take (`INSTALL_WINDOW`) and how long an
//! uninstalled salon's personal data is kept (`PERSONAL_DATA_GRACE`).

use super::{ConfigError, Env};
use ai_admin_activities::acts::billing::Plans;

/// Billing and data keeping for marketplace salons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketplaceSettings {
    /// Tariffs and the trial.
    pub plans: Plans,
    /// How long after an uninstall the salon's personal data is deleted
    /// (`PERSONAL_DATA_GRACE`, default `24h`).
    pub personal_data_grace: std::time::Duration,
    /// How long an install may take from the marketplace redirect to a linked WhatsApp
    /// (`INSTALL_WINDOW`, default `1h`, YClients' documented window): an owner who comes
    /// back inside it resumes where they stopped.
    pub install_window: std::time::Duration,
    /// How often every installed salon is checked against YClients' install status
    /// (`INSTALL_RECONCILE_EVERY`, default `24h`; `off`: never, for a test bench whose
    /// simulated installs are not kept in step).
    pub reconcile_every: Option<std::time::Duration>,
}

pub(super) fn marketplace<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<MarketplaceSettings, ConfigError> {
    let defaults = Plans::default();
    let tariffs = match env.get("TARIFFS") {
        Some(text) => Plans::parse_tariffs(&text).map_err(|reason| ConfigError::Invalid {
            name: "TARIFFS",
            reason,
        })?,
        None => defaults.tariffs,
    };
    Ok(MarketplaceSettings {
        plans: Plans {
            tariffs,
            trial: env.duration("TRIAL_PERIOD", "14d")?,
        },
        personal_data_grace: env.duration("PERSONAL_DATA_GRACE", "24h")?,
        install_window: env.duration("INSTALL_WINDOW", "1h")?,
        reconcile_every: match env.get("INSTALL_RECONCILE_EVERY") {
            Some(text) if text.eq_ignore_ascii_case("off") => None,
            _ => Some(env.duration("INSTALL_RECONCILE_EVERY", "24h")?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::config_with as config;

    #[test]
    fn grace_trial_and_tariffs_have_defaults_and_refuse_nonsense() {
        let settings = config(&[]).unwrap().marketplace;
        assert_eq!(settings.personal_data_grace.as_secs(), 86_400);
        assert_eq!(settings.plans.trial.as_secs(), 14 * 86_400);
        assert_eq!(settings.plans.default_tariff().name, "standard");
        assert_eq!(settings.install_window.as_secs(), 3600);
        assert_eq!(settings.reconcile_every.map(|d| d.as_secs()), Some(86_400));
        let off = config(&[("INSTALL_RECONCILE_EVERY", "off")]).unwrap();
        assert_eq!(off.marketplace.reconcile_every, None);
        let set = config(&[
            ("PERSONAL_DATA_GRACE", "3s"),
            ("TARIFFS", "lite:990:RUB,pro:4990:RUB"),
        ])
        .unwrap()
        .marketplace;
        assert_eq!(set.personal_data_grace.as_secs(), 3);
        assert_eq!(set.plans.tariffs.len(), 2);
        for (name, value) in [
            ("PERSONAL_DATA_GRACE", "0s"),
            ("PERSONAL_DATA_GRACE", "1 day"),
            ("TARIFFS", "lite"),
            ("TRIAL_PERIOD", "-1d"),
            ("INSTALL_RECONCILE_EVERY", "daily"),
        ] {
            let error = config(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
