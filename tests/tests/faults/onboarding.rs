//! The Temporal worker SIGKILLed at each step of onboarding — during the activation
//! callback, in the middle of the first sync, at the welcome — while the API and the
//! WhatsApp gateway keep running in their own process (the scale-out shape). A new
//! worker resumes each run where it was: YClients processes one callback, every row is
//! written once, one full sync completes, and the owner gets one welcome.

use ai_admin_activities::domain::SalonId;
use ai_admin_simulators::yclients::{Fault, SalonSize};
use ai_admin_tests::faults::{Row, record};
use ai_admin_tests::sync_checks::assert_onboarded_once;
use ai_admin_tests::{AppOptions, TestApp, eventually, spawn_app_with};
use rand::Rng as _;
use std::time::{Duration, Instant};

const OWNER_PHONE: &str = "79001112244";
const CALLBACK: &str = "/marketplace/partner/callback/redirect";
const PATIENCE: Duration = Duration::from_secs(120);

/// Where the worker dies.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// While YClients is answering the activation callback (held 5 s).
    Activating,
    /// With part of the clients written (client pages held 400 ms each).
    Syncing,
    /// As soon as the welcome step is announced.
    Welcome,
}

async fn step_announced(app: &TestApp, salon_id: SalonId, step: &str) -> bool {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM live_events WHERE salon_id = $1 AND event = 'progress'
           AND data->>'workflow' = 'onboarding' AND data->>'step' = $2",
    )
    .bind(salon_id.get())
    .bind(step)
    .fetch_one(&app.db)
    .await
    .expect("read progress")
        > 0
}

const CLIENTS_SQL: &str = "SELECT COUNT(*) FROM clients t JOIN companies c ON c.id = t.company_id WHERE c.yclients_id = $1";

/// Onboards a salon with the worker killed at `step`; returns what the row reports.
async fn kill_at(app: &TestApp, step: Step, tag: &str) -> String {
    let size = SalonSize {
        clients: 1_500,
        ..SalonSize::DEMO
    };
    let salon_id = app.add_salon_with(&format!("Салон «{step:?}»"), "Europe/Moscow", size);
    match step {
        Step::Activating => {
            app.yclients
                .state
                .inject(Fault::delay(CALLBACK, Duration::from_secs(5), 1))
        }
        Step::Syncing => app.yclients.state.inject(Fault::delay(
            &format!("/api/v1/company/{salon_id}/clients/search"),
            Duration::from_millis(400),
            8,
        )),
        Step::Welcome => {}
    }
    let mut worker = app
        .spawn_node(&format!("worker-{step:?}-1-{tag}"), "worker")
        .await;
    app.onboard(salon_id, OWNER_PHONE).await;
    let detail = match step {
        Step::Activating => {
            eventually(PATIENCE, "the callback to be in flight", || async {
                (!app.requests_to(CALLBACK).is_empty()).then_some(())
            })
            .await;
            "callback in flight".to_owned()
        }
        Step::Syncing => {
            let synced = eventually(PATIENCE, "the clients sync to be under way", || async {
                let synced = app.count_rows(CLIENTS_SQL, salon_id).await;
                (synced > 0 && synced < 1_500).then_some(synced)
            })
            .await;
            format!("{synced} of 1500 clients written")
        }
        Step::Welcome => {
            eventually(PATIENCE, "the welcome step", || async {
                step_announced(app, salon_id, "welcome").await.then_some(())
            })
            .await;
            "welcome announced".to_owned()
        }
    };
    worker.kill();
    let killed_at = Instant::now();
    let _replacement = app
        .spawn_node(&format!("worker-{step:?}-2-{tag}"), "worker")
        .await;
    app.wait_until_ready(salon_id, PATIENCE).await;
    let resumed = killed_at.elapsed();

    assert_onboarded_once(app, salon_id, OWNER_PHONE, &format!("{step:?}")).await;
    assert_eq!(app.count_rows(CLIENTS_SQL, salon_id).await, 1_500);
    format!(
        "{step:?}: {detail}, ready {:.1} s after the kill",
        resumed.as_secs_f64()
    )
}

#[tokio::test]
async fn the_worker_killed_at_each_onboarding_step_resumes_with_every_effect_once() {
    let app = spawn_app_with(AppOptions {
        separate_process: true,
        roles: Some("api,gateway".into()),
        ..AppOptions::default()
    })
    .await;
    let tag = format!("{:06x}", rand::rng().random::<u32>() & 0xff_ffff);
    let mut observed = Vec::new();
    for step in [Step::Activating, Step::Syncing, Step::Welcome] {
        observed.push(kill_at(&app, step, &tag).await);
    }
    record(&Row {
        id: "onboarding-worker-killed",
        fault: "the worker process (API and gateway in another process) SIGKILLed during \
                the activation callback, mid-first-sync and at the welcome; a new worker \
                started",
        checked: "ready; YClients processed one callback; activated once; every row once; \
                  one full sync; one welcome",
        observed: observed.join("; "),
    });
}
