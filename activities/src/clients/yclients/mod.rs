//! YClients: the trait the rest of the system calls, its reqwest implementation, the
//! shared rate limiter, and retries for callers outside Temporal.
//!
//! # Layout
//! - [`YClients`] — one method per YClients endpoint we use (more arrive with the sync
//!   and booking features).
//! - [`http`] — the reqwest implementation; the code under test is always this one,
//!   pointed at the in-repo simulator.
//! - [`error`] — [`YClientsError`], which says whether retrying can help.
//! - [`types`] — the envelope and the resources as YClients spells them.
//! - [`rate_limit`], [`retry`]: one limiter per process; bounded retries.
//! - [`webhooks`] — the bodies YClients posts to us, told apart and checked.

pub mod brand;
pub mod error;
pub mod http;
pub mod rate_limit;
pub mod retry;
pub mod types;
pub mod webhooks;

pub use brand::CrmBrand;
pub use error::YClientsError;
pub use http::{HttpYClients, YClientsConfig};
pub use rate_limit::RateLimiter;
pub use types::{
    ActivationCallback, Appointment, Booked, BookingRequest, Client, Company, Connection, FreeTime,
    InstallStatus, Page, PartnerPayment, Record, ReportedPayment, Service, ServiceCategory, Staff,
    StaffDay,
};

use crate::domain::SalonId;
use chrono::NaiveDate;

/// The YClients API as AI Admin uses it.
#[async_trait::async_trait]
pub trait YClients: Send + Sync + std::fmt::Debug {
    /// `GET /api/v1/company/{id}`: the salon's name, contacts and time zone.
    async fn company(&self, salon_id: SalonId) -> Result<Company, YClientsError>;

    /// `GET /api/v1/company/{id}/service_categories`.
    async fn service_categories(
        &self,
        salon_id: SalonId,
    ) -> Result<Vec<ServiceCategory>, YClientsError>;

    /// `GET /api/v1/company/{id}/services`.
    async fn services(&self, salon_id: SalonId) -> Result<Vec<Service>, YClientsError>;

    /// `GET /api/v1/company/{id}/staff`.
    async fn staff(&self, salon_id: SalonId) -> Result<Vec<Staff>, YClientsError>;

    /// `POST /api/v1/company/{id}/clients/search`, one page (YClients allows ≤ 200).
    async fn clients_page(
        &self,
        salon_id: SalonId,
        page: u32,
        page_size: u32,
    ) -> Result<Page<Client>, YClientsError>;

    /// `GET /api/v1/company/{id}/staff/schedule` for the days `start..=end`.
    async fn staff_schedule(
        &self,
        salon_id: SalonId,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<StaffDay>, YClientsError>;

    /// `GET /api/v1/records/{id}`, one page of the visits on the days `start..=end`.
    async fn records_page(
        &self,
        salon_id: SalonId,
        page: u32,
        count: u32,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Page<Record>, YClientsError>;

    /// `GET /api/v1/record/{id}/{record_id}`: one record (for webhooks that carry only its
    /// id).
    async fn record(&self, salon_id: SalonId, record_id: i64) -> Result<Record, YClientsError>;

    /// `GET /api/v1/records/{id}?client_id=…`: one page of a client's visits on the days
    /// `start..=end`.
    async fn client_records(
        &self,
        salon_id: SalonId,
        client_id: i64,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Record>, YClientsError>;

    /// `GET /api/v1/book_times/{id}/{staff_id}/{date}?service_ids[]=…`: free times of a
    /// master (0 = any) for a service on a day.
    async fn free_times(
        &self,
        salon_id: SalonId,
        staff_id: i64,
        date: NaiveDate,
        service_id: i64,
    ) -> Result<Vec<FreeTime>, YClientsError>;

    /// `POST /api/v1/book_check/{id}`: whether the visits can be booked
    /// ([`YClientsError::SlotTaken`] when not).
    async fn check_booking(
        &self,
        salon_id: SalonId,
        appointments: &[Appointment],
    ) -> Result<(), YClientsError>;

    /// `POST /api/v1/book_record/{id}`: books the visits.
    async fn book(
        &self,
        salon_id: SalonId,
        request: &BookingRequest,
    ) -> Result<Vec<Booked>, YClientsError>;

    /// `PUT /api/v1/record/{id}/{record_id}`: moves a visit.
    async fn move_record(
        &self,
        salon_id: SalonId,
        record_id: i64,
        to: &Appointment,
    ) -> Result<Record, YClientsError>;

    /// `PUT /api/v1/record/{id}/{record_id}` with `attendance: 2`: the client confirmed
    /// the visit (`at` is the visit as it stands).
    async fn confirm_record(
        &self,
        salon_id: SalonId,
        record_id: i64,
        at: &Appointment,
    ) -> Result<Record, YClientsError>;

    /// `DELETE /api/v1/record/{id}/{record_id}`: cancels a visit.
    async fn cancel_record(&self, salon_id: SalonId, record_id: i64) -> Result<(), YClientsError>;

    /// `GET /api/v1/client/{id}/{client_id}`: one client.
    async fn client(&self, salon_id: SalonId, client_id: i64) -> Result<Client, YClientsError>;

    /// `POST /marketplace/partner/callback/redirect`: activates the integration.
    async fn activation_callback(&self, callback: &ActivationCallback)
    -> Result<(), YClientsError>;

    /// `GET /marketplace/salon/{salon_id}/application/{app_id}`: where our application
    /// stands in the salon; `None` on 404 (never installed).
    async fn install_status(
        &self,
        salon_id: SalonId,
        application_id: &str,
    ) -> Result<Option<InstallStatus>, YClientsError>;

    /// Whether the salon has our application installed, frozen, or is installing it.
    async fn application_installed(
        &self,
        salon_id: SalonId,
        application_id: &str,
    ) -> Result<bool, YClientsError> {
        Ok(self
            .install_status(salon_id, application_id)
            .await?
            .is_some_and(|status| status.connection() != Connection::Uninstalled))
    }

    /// `POST /marketplace/partner/payment`: reports a payment the salon made us; returns
    /// YClients' id of it (`data.id`). YClients has no idempotency key: a repeat is a
    /// second payment, so callers look in [`Self::install_status`] before repeating.
    async fn report_payment(&self, payment: &PartnerPayment) -> Result<i64, YClientsError>;

    /// `POST /marketplace/partner/payment/refund/{id}`: reports the payment refunded.
    async fn refund_payment(&self, yclients_payment_id: i64) -> Result<(), YClientsError>;
}
