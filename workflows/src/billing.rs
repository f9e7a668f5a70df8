//! `payment-<salon_id>-<payment_id>` reports one payment of ours to YClients and returns
//! YClients' id for it; `refund-<salon_id>-<payment_id>` waits until it is reported, then
//! reports its refund. YClients has no idempotency key: the workflow id makes each a
//! single run, and the activities look at what YClients lists before repeating a send
//! that may have landed.
//! Timeouts, 429 and 5xx are retried for up to three days; other answers fail the run
//! with YClients' words.

// `#[workflow_methods]` generates one undocumented constant per handler.
#![allow(missing_docs)]

use crate::search_attributes::SALON_ID;
use ai_admin_activities::acts::billing::BillingActivities;
use ai_admin_activities::domain::SalonId;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_common::{ActivityCloseTimeouts, RetryPolicy};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

/// How long a report keeps being retried.
pub const REPORT_PATIENCE: Duration = Duration::from_secs(3 * 86_400);

fn report_options() -> ActivityOptions {
    ActivityOptions::with_close_timeouts(ActivityCloseTimeouts::ScheduleAndStartToClose {
        schedule_to_close: REPORT_PATIENCE,
        start_to_close: Duration::from_secs(60),
    })
    .retry_policy(
        RetryPolicy::builder()
            .initial_interval(Duration::from_millis(500))
            .backoff_coefficient(2.0)
            .maximum_interval(Duration::from_secs(300))
            .build(),
    )
    .build()
}

/// Which payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRef {
    /// The salon (for the `SalonId` search attribute).
    pub salon_id: SalonId,
    /// Our payment id.
    pub payment_id: i64,
}

/// State of a `payment-<salon_id>-<id>` run.
#[workflow]
pub struct PaymentReportWorkflow {
    payment: PaymentRef,
}

#[workflow_methods]
impl PaymentReportWorkflow {
    /// Reports `payment`.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, payment: PaymentRef) -> Self {
        Self { payment }
    }

    /// See the module docs; YClients' id of the payment.
    #[run(name = "payment_report")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<i64> {
        let payment = ctx.state(|s| s.payment);
        ctx.upsert_search_attributes([SALON_ID.value_set(payment.salon_id.into())]);
        Ok(ctx
            .execute_activity(
                BillingActivities::report_payment,
                payment.payment_id,
                report_options(),
            )
            .await?)
    }
}

/// State of a `refund-<salon_id>-<id>` run.
#[workflow]
pub struct PaymentRefundWorkflow {
    payment: PaymentRef,
}

#[workflow_methods]
impl PaymentRefundWorkflow {
    /// Refunds `payment`.
    #[init]
    pub fn new(_ctx: &WorkflowContextView, payment: PaymentRef) -> Self {
        Self { payment }
    }

    /// See the module docs; YClients' id of the refunded payment.
    #[run(name = "payment_refund")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<i64> {
        let payment = ctx.state(|s| s.payment);
        ctx.upsert_search_attributes([SALON_ID.value_set(payment.salon_id.into())]);
        // The report is `payment-…`'s alone (two senders could both send it): the refund
        // waits, retrying, until that run has reported the payment.
        Ok(ctx
            .execute_activity(
                BillingActivities::report_refund,
                payment.payment_id,
                report_options(),
            )
            .await?)
    }
}
