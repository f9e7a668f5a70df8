//! `onboarding-<salon_id>` itself: the link signal and the timeout.

use ai_admin_tests::{eventually, spawn_app};
use ai_admin_workflows::onboarding::{
    OnboardingInput, OnboardingOutcome, OnboardingStep, OnboardingWorkflow, StepStatus,
    WhatsAppConnected,
};
use std::time::Duration;
use temporalio_client::{
    WorkflowGetResultOptions, WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};

#[tokio::test]
async fn the_whatsapp_connected_signal_moves_onboarding_on() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Сигнал»");
    app.register(salon_id).await;
    let handle = app
        .temporal
        .get_workflow_handle::<OnboardingWorkflow>(format!("onboarding-{salon_id}"));

    handle
        .signal(
            OnboardingWorkflow::whatsapp_connected,
            WhatsAppConnected {
                phone: "79001234567".into(),
            },
            WorkflowSignalOptions::default(),
        )
        .await
        .unwrap();

    let progress = eventually(
        Duration::from_secs(10),
        "onboarding to move past the link",
        || async {
            let progress = handle
                .query(
                    OnboardingWorkflow::progress,
                    (),
                    WorkflowQueryOptions::default(),
                )
                .await
                .ok()?;
            (progress.step != OnboardingStep::WaitingForWhatsapp).then_some(progress)
        },
    )
    .await;
    assert_ne!(progress.status, StepStatus::Expired);
}

#[tokio::test]
async fn onboarding_expires_when_whatsapp_is_not_linked_in_time_and_records_it() {
    let app = spawn_app().await;
    let salon_id = app.add_salon("Салон «Опоздание»");
    let token = app.register(salon_id).await;
    let company_id = app.verify_token(&token).company_id;
    // A second onboarding with a one-second deadline, on the app's own task queue.
    let workflow_id = format!("onboarding-expiry-{salon_id}");
    let handle = app
        .temporal
        .start_workflow(
            OnboardingWorkflow::run,
            OnboardingInput {
                salon_id,
                company_id,
                link_timeout_secs: 1,
                timezone: "Europe/Moscow".into(),
                linked_phone: None,
            },
            WorkflowStartOptions::new(app.config.temporal.task_queue.clone(), workflow_id).build(),
        )
        .await
        .unwrap();

    let outcome = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();

    assert_eq!(outcome, OnboardingOutcome::Expired);
    let progress = handle
        .query(
            OnboardingWorkflow::progress,
            (),
            WorkflowQueryOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(progress.status, StepStatus::Expired);
    let events = eventually(Duration::from_secs(5), "the expiry event", || async {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'onboarding_expired'",
        )
        .bind(salon_id.get())
        .fetch_one(&app.db)
        .await
        .unwrap();
        (count > 0).then_some(count)
    })
    .await;
    assert_eq!(events, 1, "recorded exactly once");
}
