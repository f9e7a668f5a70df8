//! Registers the custom search attributes (`SalonId` Int, `IntegrationStatus` Keyword)
//! on the namespace when they are missing, so a production cluster needs no manual
//! `temporal operator search-attribute create`.

use ai_admin_workflows::search_attributes::{INTEGRATION_STATUS, SALON_ID};
use anyhow::Context as _;
use std::collections::HashMap;
use temporalio_client::{Client, tonic};
use temporalio_protos::temporal::api::enums::v1::IndexedValueType;
use temporalio_protos::temporal::api::operatorservice::v1::{
    AddSearchAttributesRequest, ListSearchAttributesRequest,
};

/// The attributes every salon workflow carries, with their types.
fn wanted() -> [(&'static str, IndexedValueType); 2] {
    [
        (SALON_ID.name(), IndexedValueType::Int),
        (INTEGRATION_STATUS.name(), IndexedValueType::Keyword),
    ]
}

/// Adds whichever of our search attributes the namespace lacks. Safe to call from many
/// processes at once: an attribute registered meanwhile by another is not an error.
pub async fn ensure_registered(client: &Client) -> anyhow::Result<()> {
    let namespace = client.options().namespace.clone();
    let mut operator = client.connection().operator_service();
    let existing = operator
        .list_search_attributes(tonic::Request::new(ListSearchAttributesRequest {
            namespace: namespace.clone(),
        }))
        .await
        .context("Failed to list Temporal search attributes")?
        .into_inner()
        .custom_attributes;

    let missing: HashMap<String, i32> = wanted()
        .into_iter()
        .filter(|(name, _)| !existing.contains_key(*name))
        .map(|(name, kind)| (name.to_owned(), kind as i32))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    tracing::info!(attributes = ?missing.keys().collect::<Vec<_>>(), "registering search attributes");
    match operator
        .add_search_attributes(tonic::Request::new(AddSearchAttributesRequest {
            search_attributes: missing,
            namespace,
        }))
        .await
    {
        Ok(_) => Ok(()),
        Err(status) if status.code() == tonic::Code::AlreadyExists => Ok(()),
        Err(status) => Err(status).context("Failed to register Temporal search attributes"),
    }
}
