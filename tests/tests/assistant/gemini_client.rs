//! The reqwest Gemini client against the simulator: stage 1 with the real prompt and
//! schema gives typed commands, stage 2 gives text, token usage comes back, and every
//! kind of failure maps to the error that says whether to retry.

use ai_admin_activities::assistant::commands::{self, Command, Parsed};
use ai_admin_activities::assistant::prompts;
use ai_admin_activities::gemini::{Gemini, GeminiConfig, GeminiError, HttpGemini, Prompt, Turn};
use ai_admin_activities::secret::Secret;
use ai_admin_simulators::gemini::{self, GeminiFault, GeminiSimState, RunningGemini};
use std::collections::BTreeMap;
use std::time::Duration;

const KEY: &str = "test-gemini-key";

async fn simulator() -> RunningGemini {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    gemini::spawn(listener, GeminiSimState::new(KEY)).unwrap()
}

fn client(sim: &RunningGemini, key: &str, timeout: Duration) -> HttpGemini {
    HttpGemini::new(GeminiConfig {
        base_url: sim.base_url(),
        api_key: Secret::new(key),
        model: "gemini-2.5-flash".into(),
        timeout,
    })
    .unwrap()
}

fn stage1(message: &str) -> Prompt {
    let values = BTreeMap::from([
        ("salon_name", "Роза".to_owned()),
        ("today", "2026-12-24".to_owned()),
        ("weekday", "четверг".to_owned()),
        ("timezone", "Europe/Moscow".to_owned()),
        ("client_name", "неизвестно".to_owned()),
        ("bookings", "нет".to_owned()),
        ("usual", "нет".to_owned()),
        ("services", "Стрижка женская — 2000 ₽".to_owned()),
        ("staff", "Анна Смирнова".to_owned()),
        ("discussed", "ничего".to_owned()),
    ]);
    Prompt {
        system: prompts::render(prompts::STAGE1_SYSTEM, &values).unwrap(),
        turns: vec![Turn::user(message)],
        response_schema: Some(prompts::stage1_schema()),
        temperature: 0.1,
        max_output_tokens: 512,
    }
}

#[tokio::test]
async fn stage_one_answers_typed_commands_with_token_usage() {
    let sim = simulator().await;
    let gemini = client(&sim, KEY, Duration::from_secs(5));

    let answer = gemini
        .generate(&stage1("Запишите меня на стрижку завтра в 15:00 к Анне"))
        .await
        .unwrap();

    assert_eq!(
        commands::parse(&answer.text).unwrap(),
        vec![Parsed::Command(Command::CreateBooking {
            service: "стрижку".into(),
            date: "завтра".into(),
            time: "15:00".into(),
            staff: Some("к Анне".into()),
        })]
    );
    assert!(answer.usage.prompt > 100, "{:?}", answer.usage);
    assert_eq!(
        answer.usage.total,
        answer.usage.prompt + answer.usage.output
    );
    assert_eq!(answer.finish_reason, "STOP");
    let calls = sim.state.calls();
    assert_eq!((calls.len(), calls[0].stage), (1, 1));
}

#[tokio::test]
async fn stage_two_answers_text_from_the_results() {
    let sim = simulator().await;
    let gemini = client(&sim, KEY, Duration::from_secs(5));
    let values = BTreeMap::from([
        ("message", "Сколько стоит стрижка?".to_owned()),
        (
            "results",
            r#"[{"command":"SHOW_PRICES","summary":"Стрижка женская — 2000 ₽."}]"#.to_owned(),
        ),
    ]);
    let prompt = Prompt {
        system: prompts::render(
            prompts::STAGE2_SYSTEM,
            &BTreeMap::from([
                ("salon_name", "Роза".to_owned()),
                ("client_name", "Ольга".to_owned()),
            ]),
        )
        .unwrap(),
        turns: vec![Turn::user(
            // v1's input holds only the message and the results.
            prompts::render(
                prompts::PromptSet::named("v1").unwrap().stage2_input,
                &values,
            )
            .unwrap(),
        )],
        response_schema: None,
        temperature: 0.4,
        max_output_tokens: 512,
    };

    let answer = gemini.generate(&prompt).await.unwrap();

    assert_eq!(answer.text, "Стрижка женская — 2000 ₽.");
    assert_eq!(sim.state.calls()[0].stage, 2);
}

#[tokio::test]
async fn failures_say_whether_retrying_can_help() {
    let sim = simulator().await;
    let gemini = client(&sim, KEY, Duration::from_millis(300));
    let prompt = stage1("Сколько стоит маникюр?");

    sim.state.inject(GeminiFault {
        status: 503,
        times: 1,
        retry_after_secs: None,
    });
    let overloaded = gemini.generate(&prompt).await.unwrap_err();
    assert!(
        matches!(&overloaded, GeminiError::Server { status: 503, message } if message.starts_with("UNAVAILABLE")),
        "{overloaded:?}"
    );
    assert!(overloaded.is_retryable());

    sim.state.inject(GeminiFault {
        status: 429,
        times: 1,
        retry_after_secs: Some(7),
    });
    let quota = gemini.generate(&prompt).await.unwrap_err();
    assert_eq!(
        quota,
        GeminiError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
            message: "RESOURCE_EXHAUSTED: simulated failure".into()
        }
    );
    assert!(quota.is_retryable());

    sim.state.inject(GeminiFault {
        status: 400,
        times: 1,
        retry_after_secs: None,
    });
    let bad = gemini.generate(&prompt).await.unwrap_err();
    assert!(matches!(bad, GeminiError::Rejected { status: 400, .. }));
    assert!(!bad.is_retryable());

    let wrong_key = client(&sim, "not-our-key", Duration::from_secs(5))
        .generate(&prompt)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong_key, GeminiError::Rejected { status: 400, message } if message.contains("API key not valid")),
        "{wrong_key:?}"
    );

    sim.state.set_latency(Duration::from_secs(2));
    let slow = gemini.generate(&prompt).await.unwrap_err();
    assert_eq!(slow, GeminiError::Timeout(Duration::from_millis(300)));
    assert!(slow.is_retryable());
    sim.state.set_latency(Duration::ZERO);

    sim.state.set_down(true);
    assert!(matches!(
        gemini.generate(&prompt).await,
        Err(GeminiError::Server { status: 503, .. })
    ));
    sim.state.set_down(false);
    // After the faults, it answers again.
    assert!(gemini.generate(&prompt).await.is_ok());
}

#[tokio::test]
async fn nothing_listening_is_a_retryable_transport_error() {
    let sim = simulator().await;
    let url = sim.base_url();
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let gemini = HttpGemini::new(GeminiConfig {
        base_url: url,
        api_key: Secret::new(KEY),
        model: "gemini-2.5-flash".into(),
        timeout: Duration::from_secs(2),
    })
    .unwrap();
    let error = gemini.generate(&stage1("Привет")).await.unwrap_err();
    assert!(matches!(error, GeminiError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
}
