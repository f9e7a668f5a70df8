//! Workflow ids. They are deterministic, so a duplicate start is impossible and ops find
//! a salon's runs by id in the Temporal UI.

use ai_admin_activities::domain::SalonId;

/// `onboarding-<salon_id>`: one owner's journey from the marketplace to a working bot.
pub fn onboarding(salon_id: SalonId) -> String {
    format!("onboarding-{salon_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onboarding_id_names_the_salon() {
        assert_eq!(
            onboarding(SalonId::new(962302).unwrap()),
            "onboarding-962302"
        );
    }
}
