//! The custom search attributes every salon workflow carries, so ops can filter runs
//! in the Temporal UI (`SalonId = 962302`, `IntegrationStatus = "active"`).

use temporalio_common::search_attributes::SearchAttributeKey;

/// The salon's YClients id.
pub const SALON_ID: SearchAttributeKey<i64> = SearchAttributeKey::int("SalonId");

/// The salon's `integration_status` as the workflow last knew it.
pub const INTEGRATION_STATUS: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("IntegrationStatus");
