//! Keeping data bounded and the process honest: the retention job prunes what has done
//! its job and nothing still waiting, on a schedule that exists; health lists the
//! supervised background tasks.

use ai_admin_tests::{AppOptions, spawn_app, spawn_app_with};
use ai_admin_workflows::retention::RetentionWorkflow;
use temporalio_client::{WorkflowGetResultOptions, WorkflowStartOptions};

#[tokio::test]
async fn the_retention_job_prunes_old_finished_rows_and_keeps_what_still_waits() {
    let app = spawn_app_with(AppOptions {
        env: vec![
            ("RETENTION_LIVE_EVENTS", "1d".to_owned()),
            ("RETENTION_WEBHOOKS", "2d".to_owned()),
            ("RETENTION_MESSAGES", "3d".to_owned()),
            ("RETENTION_MARKETPLACE_EVENTS", "4d".to_owned()),
        ],
        ..AppOptions::default()
    })
    .await;
    let salon_id = app.add_salon("Салон «Архив»");
    app.register(salon_id).await;
    let salon = salon_id.get();
    // For each table: an old finished row, an old waiting one (where there is such a
    // thing) and a recent one.
    for sql in [
        "INSERT INTO live_events (salon_id, event, data, created_at) VALUES
             ($1, 'old', '{}', NOW() - INTERVAL '2 days'), ($1, 'new', '{}', NOW())",
        "INSERT INTO webhook_inbox (salon_id, kind, event, payload, content_hash, status, received_at) VALUES
             ($1, 'unknown', 'old', '{}', 'h1', 'applied', NOW() - INTERVAL '3 days'),
             ($1, 'unknown', 'orphan', '{}', 'h2', 'orphan', NOW() - INTERVAL '3 days'),
             ($1, 'unknown', 'waiting', '{}', 'h3', 'pending', NOW() - INTERVAL '3 days'),
             ($1, 'unknown', 'new', '{}', 'h4', 'applied', NOW())",
        "INSERT INTO inbound_messages (salon_id, session, message_id, client_phone, text, status, received_at) VALUES
             ($1, 's', 'old', '79000000001', 'x', 'handled', NOW() - INTERVAL '4 days'),
             ($1, 's', 'waiting', '79000000001', 'x', 'pending', NOW() - INTERVAL '4 days'),
             ($1, 's', 'new', '79000000001', 'x', 'handled', NOW())",
        "INSERT INTO outbound_messages (idempotency_key, salon_id, to_phone, text, status, created_at) VALUES
             ('old-' || $1::int::text, $1::int, '79000000001', 'x', 'sent', NOW() - INTERVAL '4 days'),
             ('new-' || $1::int::text, $1::int, '79000000001', 'x', 'sent', NOW())",
        "INSERT INTO marketplace_events (salon_id, event_type, created_at) VALUES
             ($1, 'old', NOW() - INTERVAL '5 days'), ($1, 'new', NOW())",
    ] {
        sqlx::query(sql).bind(salon).execute(&app.db).await.unwrap();
    }

    let handle = app
        .temporal
        .start_workflow(
            RetentionWorkflow::run,
            (),
            WorkflowStartOptions::new(
                app.config.temporal.task_queue.clone(),
                format!("retention-test-{salon_id}"),
            )
            .build(),
        )
        .await
        .unwrap();
    let pruned = handle
        .get_result(WorkflowGetResultOptions::default())
        .await
        .unwrap();

    assert_eq!(pruned.live_events, 1);
    assert_eq!(pruned.webhooks, 2, "applied and orphaned");
    assert_eq!(pruned.inbound_messages, 1);
    assert_eq!(pruned.outbound_messages, 1);
    assert_eq!(pruned.marketplace_events, 1);
    let left = |sql: &'static str| app.count_rows(sql, salon_id);
    assert_eq!(
        left(
            "SELECT COUNT(*) FROM webhook_inbox WHERE salon_id = $1 AND event IN ('waiting', 'new')"
        )
        .await,
        2
    );
    assert_eq!(
        left("SELECT COUNT(*) FROM inbound_messages WHERE salon_id = $1 AND message_id IN ('waiting', 'new')").await,
        2
    );
    assert_eq!(
        left("SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'old'")
            .await,
        0
    );
    assert!(
        left("SELECT COUNT(*) FROM marketplace_events WHERE salon_id = $1 AND event_type = 'registration_started'").await
            >= 1,
        "recent events stay"
    );

    // The hourly schedule that runs it exists.
    let schedule = app
        .temporal
        .get_schedule_handle(format!("retention-{}", app.config.temporal.task_queue))
        .describe(Default::default())
        .await;
    assert!(schedule.is_ok(), "the retention schedule exists");
}

#[tokio::test]
async fn health_lists_every_supervised_background_task_as_running() {
    let app = spawn_app().await;
    let health: serde_json::Value = app.get("/marketplace/health").await.json().await.unwrap();
    let tasks = &health["services"]["tasks"];
    for task in [
        "webhook_wakeup",
        "live_listener",
        "webhook_relay",
        "conversation_relay",
        "whatsapp_events",
        "lease_keeper",
    ] {
        assert_eq!(tasks[task]["state"], "running", "{task}: {health}");
    }
    assert_eq!(health["status"], "ok");
}
