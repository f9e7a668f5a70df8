//! The language-model clients against the simulator, which speaks both APIs: stage 1
//! with the real prompt and schema gives typed commands (also from a chat-completions
//! server that ignores the schema), stage 2 gives text, token usage comes back, every
//! kind of failure maps to the error that says whether to retry, a refused region is
//! recognised, a proxy carries the traffic when configured, and a fallback answers
//! when the primary is away.

use ai_admin_activities::assistant::commands::{self, Command, Parsed};
use ai_admin_activities::assistant::prompts;
use ai_admin_activities::clients::llm::fallback::WithFallback;
use ai_admin_activities::clients::llm::gemini::{GeminiConfig, HttpGemini};
use ai_admin_activities::clients::llm::health::LlmHealth;
use ai_admin_activities::clients::llm::openai::{OpenAiChat, OpenAiConfig};
use ai_admin_activities::clients::llm::route::{Route, RouteName};
use ai_admin_activities::clients::llm::transport::ProxyUrl;
use ai_admin_activities::clients::llm::{LanguageModel, LlmError, Prompt, Stage, Turn};
use ai_admin_activities::metrics::Metrics;
use ai_admin_activities::secret::Secret;
use ai_admin_simulators::gemini::{self, GeminiFault, GeminiSimState, RunningGemini};
use ai_admin_tests::socks::Socks5Proxy;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const KEY: &str = "test-gemini-key";

async fn simulator() -> RunningGemini {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    gemini::spawn(listener, GeminiSimState::new(KEY)).unwrap()
}

fn client(sim: &RunningGemini, key: &str, timeout: Duration) -> HttpGemini {
    gemini_at(sim.base_url(), key, timeout, None)
}

fn gemini_at(base_url: String, key: &str, timeout: Duration, proxy: Option<&str>) -> HttpGemini {
    HttpGemini::new(GeminiConfig {
        base_url,
        api_key: Secret::new(key),
        model: "gemini-2.5-flash".into(),
        compose_model: None,
        thinking_budget: None,
        timeout,
        proxy: proxy.map(|p| ProxyUrl::parse(p).unwrap()),
    })
    .unwrap()
}

fn openai(sim: &RunningGemini, key: &str, timeout: Duration) -> OpenAiChat {
    OpenAiChat::new(OpenAiConfig {
        base_url: format!("{}/v1", sim.base_url()),
        api_key: Some(Secret::new(key)),
        model: "deepseek-chat".into(),
        compose_model: Some("deepseek-lite".into()),
        transcribe_model: None,
        timeout,
        proxy: None,
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
        stage: Stage::Understand,
        system: prompts::render(prompts::STAGE1_SYSTEM, &values).unwrap(),
        turns: vec![Turn::user(message)],
        response_schema: Some(prompts::stage1_schema()),
        temperature: 0.1,
        max_output_tokens: 512,
    }
}

fn stage2() -> Prompt {
    let voice = ai_admin_activities::acts::conversation::voice::Voice::default();
    let values = BTreeMap::from([
        ("message", "Сколько стоит стрижка?".to_owned()),
        (
            "results",
            r#"[{"command":"SHOW_PRICES","summary":"Стрижка женская — 2000 ₽."}]"#.to_owned(),
        ),
    ]);
    Prompt {
        stage: Stage::Compose,
        system: prompts::render(
            prompts::STAGE2_SYSTEM,
            &BTreeMap::from([
                ("salon_name", "Роза".to_owned()),
                ("client_name", "Ольга".to_owned()),
                ("address_rule", voice.address_rule().to_owned()),
                ("emoji_rule", voice.emoji_rule().to_owned()),
                ("greeting_rule", voice.greeting_rule().to_owned()),
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
    let prompt = stage2();

    let answer = gemini.generate(&prompt).await.unwrap();

    assert_eq!(answer.text, "Стрижка женская — 2000 ₽.");
    assert_eq!(sim.state.calls()[0].stage, 2);
}

#[tokio::test]
async fn failures_say_whether_retrying_can_help() {
    let sim = simulator().await;
    let gemini = client(&sim, KEY, Duration::from_millis(300));
    let prompt = stage1("Сколько стоит маникюр?");

    sim.state.inject(GeminiFault::status(503, 1));
    let overloaded = gemini.generate(&prompt).await.unwrap_err();
    assert!(
        matches!(&overloaded, LlmError::Server { status: 503, message } if message.starts_with("UNAVAILABLE")),
        "{overloaded:?}"
    );
    assert!(overloaded.is_retryable());

    sim.state.inject(GeminiFault {
        retry_after_secs: Some(7),
        ..GeminiFault::status(429, 1)
    });
    let quota = gemini.generate(&prompt).await.unwrap_err();
    assert_eq!(
        quota,
        LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
            message: "RESOURCE_EXHAUSTED: simulated failure".into()
        }
    );
    assert!(quota.is_retryable());

    sim.state.inject(GeminiFault::status(400, 1));
    let bad = gemini.generate(&prompt).await.unwrap_err();
    assert!(matches!(bad, LlmError::Rejected { status: 400, .. }));
    assert!(!bad.is_retryable());

    let wrong_key = client(&sim, "not-our-key", Duration::from_secs(5))
        .generate(&prompt)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong_key, LlmError::Rejected { status: 400, message } if message.contains("API key not valid")),
        "{wrong_key:?}"
    );

    sim.state.set_latency(Duration::from_secs(2));
    let slow = gemini.generate(&prompt).await.unwrap_err();
    assert_eq!(slow, LlmError::Timeout(Duration::from_millis(300)));
    assert!(slow.is_retryable());
    sim.state.set_latency(Duration::ZERO);

    sim.state.set_down(true);
    assert!(matches!(
        gemini.generate(&prompt).await,
        Err(LlmError::Server { status: 503, .. })
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
    let gemini = gemini_at(url, KEY, Duration::from_secs(2), None);
    let error = gemini.generate(&stage1("Привет")).await.unwrap_err();
    assert!(matches!(error, LlmError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
}

fn booking_commands() -> Vec<Parsed> {
    vec![Parsed::Command(Command::CreateBooking {
        service: "стрижку".into(),
        date: "завтра".into(),
        time: "15:00".into(),
        staff: Some("к Анне".into()),
    })]
}

#[tokio::test]
async fn the_openai_client_gets_stage_one_json_by_schema_and_stage_two_text() {
    let sim = simulator().await;
    let chat = openai(&sim, KEY, Duration::from_secs(5));

    let answer = chat
        .generate(&stage1("Запишите меня на стрижку завтра в 15:00 к Анне"))
        .await
        .unwrap();
    assert_eq!(commands::parse(&answer.text).unwrap(), booking_commands());
    assert!(answer.usage.prompt > 100, "{:?}", answer.usage);
    assert_eq!(answer.model, "deepseek-chat");

    let reply = chat.generate(&stage2()).await.unwrap();
    assert_eq!(reply.text, "Стрижка женская — 2000 ₽.");
    let calls = sim.state.calls();
    assert_eq!(
        calls
            .iter()
            .map(|c| (c.api.as_str(), c.stage, c.model.as_str()))
            .collect::<Vec<_>>(),
        [
            ("openai", 1, "deepseek-chat"),
            ("openai", 2, "deepseek-lite")
        ],
        "stage 2 on its own model"
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_schema_still_gives_the_commands_and_a_broken_answer_is_asked_for_again_at_once()
 {
    let sim = simulator().await;
    let chat = openai(&sim, KEY, Duration::from_secs(5));
    sim.state.set_ignores_schema(true);

    let answer = chat
        .generate(&stage1("Запишите меня на стрижку завтра в 15:00 к Анне"))
        .await
        .unwrap();
    assert_eq!(commands::parse(&answer.text).unwrap(), booking_commands());

    sim.state.inject(GeminiFault {
        text: Some("Конечно! Записываю вас на завтра.".into()),
        ..GeminiFault::status(200, 1)
    });
    let broken = chat.generate(&stage1("Запишите меня")).await.unwrap_err();
    assert!(matches!(broken, LlmError::InvalidResponse(_)), "{broken:?}");
    assert!(broken.asks_again_at_once() && !broken.is_retryable());
}

#[tokio::test]
async fn openai_failures_say_whether_retrying_can_help() {
    let sim = simulator().await;
    let chat = openai(&sim, KEY, Duration::from_millis(300));
    let prompt = stage1("Сколько стоит маникюр?");

    sim.state.inject(GeminiFault {
        retry_after_secs: Some(3),
        ..GeminiFault::status(429, 1)
    });
    assert!(matches!(
        chat.generate(&prompt).await,
        Err(LlmError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(3)
    ));
    sim.state.inject(GeminiFault::status(502, 1));
    assert!(matches!(
        chat.generate(&prompt).await,
        Err(LlmError::Server { status: 502, .. })
    ));
    let wrong_key = openai(&sim, "nope", Duration::from_secs(5))
        .generate(&prompt)
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong_key, LlmError::Rejected { status: 401, message } if message.contains("invalid_api_key")),
        "{wrong_key:?}"
    );
    sim.state.set_latency(Duration::from_secs(2));
    assert_eq!(
        chat.generate(&prompt).await.unwrap_err(),
        LlmError::Timeout(Duration::from_millis(300))
    );
    sim.state.set_latency(Duration::ZERO);
    assert!(chat.generate(&prompt).await.is_ok());
}

#[tokio::test]
async fn the_location_refusal_is_recognised_and_not_retried() {
    let sim = simulator().await;
    let gemini = client(&sim, KEY, Duration::from_secs(5));
    sim.state.inject(GeminiFault::region_refused(1));
    let refused = gemini.generate(&stage1("Привет")).await.unwrap_err();
    assert!(
        matches!(&refused, LlmError::RegionRefused(m) if m.contains("User location is not supported")),
        "{refused:?}"
    );
    assert!(!refused.is_retryable());
    assert!(refused.is_unavailable());
    assert!(refused.to_string().contains("LLM_PROXY"), "{refused}");
}

#[tokio::test]
async fn the_llm_goes_through_its_socks5_proxy_and_a_dead_proxy_is_a_clear_retryable_error() {
    let sim = simulator().await;
    let proxy = Socks5Proxy::start(Some(("tunnel", "s3cret")))
        .await
        .unwrap();
    let through = gemini_at(
        sim.base_url(),
        KEY,
        Duration::from_secs(5),
        Some(&proxy.url()),
    );
    let answer = through.generate(&stage2()).await.unwrap();
    assert_eq!(answer.text, "Стрижка женская — 2000 ₽.");
    let port = sim.base_url().rsplit(':').next().unwrap().to_owned();
    assert_eq!(proxy.destinations(), [format!("127.0.0.1:{port}")]);

    // Wrong credentials, then nothing listening: both say the proxy, never its password.
    let wrong = gemini_at(
        sim.base_url(),
        KEY,
        Duration::from_secs(5),
        Some(&proxy.url().replace("s3cret", "wrong")),
    );
    let refused = wrong.generate(&stage2()).await.unwrap_err();
    assert!(
        matches!(&refused, LlmError::Transport(m) if m.contains("LLM proxy socks5h://127.0.0.1")),
        "{refused:?}"
    );
    let dead_url = proxy.url();
    drop(proxy);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let dead = gemini_at(sim.base_url(), KEY, Duration::from_secs(5), Some(&dead_url))
        .generate(&stage2())
        .await
        .unwrap_err();
    assert!(
        matches!(&dead, LlmError::Transport(m) if m.contains("LLM proxy socks5h://127.0.0.1") && !m.contains("s3cret")),
        "{dead:?}"
    );
    assert!(dead.is_retryable());
}

/// A Gemini primary on `primary`, an OpenAI-compatible fallback on `fallback`.
fn gemini_else_openai(
    primary: &RunningGemini,
    fallback: &RunningGemini,
    metrics: &Metrics,
    health: &LlmHealth,
) -> WithFallback {
    let route = |name, provider, model: Arc<dyn LanguageModel>| {
        Route::new(name, provider, model, metrics.clone(), health.clone())
    };
    WithFallback::new(
        route(
            RouteName::Primary,
            "gemini",
            Arc::new(client(primary, KEY, Duration::from_secs(5))),
        ),
        route(
            RouteName::Fallback,
            "openai",
            Arc::new(openai(fallback, KEY, Duration::from_secs(5))),
        ),
        metrics.clone(),
    )
}

#[tokio::test]
async fn a_refused_region_hands_the_call_to_the_fallback_and_pauses_the_primary() {
    let primary_sim = simulator().await;
    let fallback_sim = simulator().await;
    let metrics = Metrics::new();
    let health = LlmHealth::default();
    health.register("primary", "gemini", "gemini-2.5-flash", None);
    health.register("fallback", "openai", "deepseek-chat", None);
    let model = gemini_else_openai(&primary_sim, &fallback_sim, &metrics, &health);
    primary_sim.state.inject(GeminiFault::region_refused(1));

    let answer = model.generate(&stage2()).await.unwrap();
    assert_eq!(answer.text, "Стрижка женская — 2000 ₽.");
    assert_eq!(answer.provider, "openai (fallback)");
    assert!(
        matches!(&answer.troubles[..], [t] if t.provider == "gemini" && matches!(t.error, LlmError::RegionRefused(_))),
        "{:?}",
        answer.troubles
    );
    // The primary is left alone for a while: the next call goes straight to the fallback
    // (and still says why).
    let again = model.generate(&stage2()).await.unwrap();
    assert_eq!(again.provider, "openai (fallback)");
    assert_eq!(again.troubles.len(), 1);
    assert_eq!(primary_sim.state.calls().len(), 1, "asked once");
    assert_eq!(fallback_sim.state.calls().len(), 2);
    assert_eq!(health.warnings().len(), 1, "{:?}", health.report());
    assert!(
        metrics
            .render()
            .contains("ai_admin_llm_fallbacks_total{reason=\"region_refused\"} 2")
    );

    // A 503 is tried once more on the primary before the fallback; a rejected request
    // is not the fallback's business.
    let fresh = gemini_else_openai(&primary_sim, &fallback_sim, &metrics, &health);
    primary_sim.state.clear_calls();
    primary_sim.state.inject(GeminiFault::status(503, 1));
    let second_try = fresh.generate(&stage2()).await.unwrap();
    assert_eq!(second_try.provider, "gemini");
    assert_eq!(primary_sim.state.calls().len(), 2);
    primary_sim.state.inject(GeminiFault::status(400, 1));
    assert!(matches!(
        fresh.generate(&stage2()).await,
        Err(LlmError::Rejected { status: 400, .. })
    ));
}

#[tokio::test]
async fn both_clients_write_a_voice_note_down_and_the_fallback_hears_it_when_the_primary_cannot() {
    use ai_admin_activities::clients::llm::Audio;
    use ai_admin_simulators::gemini::hearing::{
        VOICE_NOTE, VOICE_NOTE_MIME, VOICE_NOTE_TRANSCRIPT,
    };
    let sim = simulator().await;
    let sample = Audio {
        mime: VOICE_NOTE_MIME.into(),
        data: VOICE_NOTE.to_vec(),
    };
    let noise = Audio {
        mime: VOICE_NOTE_MIME.into(),
        data: vec![7; 64],
    };

    // Gemini hears it inline; an OpenAI-compatible server through /audio/transcriptions.
    let gemini = client(&sim, KEY, Duration::from_secs(5));
    let heard = gemini.transcribe(&sample).await.unwrap();
    assert_eq!(heard.text, VOICE_NOTE_TRANSCRIPT);
    let openai = openai(&sim, KEY, Duration::from_secs(5));
    let heard = openai.transcribe(&sample).await.unwrap();
    assert_eq!(
        (heard.text.as_str(), heard.model.as_str()),
        (VOICE_NOTE_TRANSCRIPT, "whisper-1")
    );
    let calls = sim.state.calls();
    assert_eq!(
        calls
            .iter()
            .map(|c| (c.api.as_str(), c.stage))
            .collect::<Vec<_>>(),
        [("gemini", 3), ("openai", 3)]
    );
    assert_eq!(calls[1].model, "whisper-1");

    // Nothing made out: Gemini gives no text, a transcription server an empty one.
    assert!(matches!(
        gemini.transcribe(&noise).await,
        Err(LlmError::NoText(_))
    ));
    assert_eq!(openai.transcribe(&noise).await.unwrap().text, "");
    // Failures are the same errors as the conversation's.
    sim.state.inject(GeminiFault::status(503, 1));
    assert!(matches!(
        openai.transcribe(&sample).await,
        Err(LlmError::Server { status: 503, .. })
    ));
    let wrong_key = OpenAiChat::new(OpenAiConfig {
        base_url: format!("{}/v1", sim.base_url()),
        api_key: Some(Secret::new("wrong")),
        model: "deepseek-chat".into(),
        compose_model: None,
        transcribe_model: Some("whisper-large-v3".into()),
        timeout: Duration::from_secs(5),
        proxy: None,
    })
    .unwrap();
    assert!(matches!(
        wrong_key.transcribe(&sample).await,
        Err(LlmError::Rejected { status: 401, .. })
    ));

    // A geo-blocked primary: the fallback hears the voice note.
    let fallback_sim = simulator().await;
    let metrics = Metrics::new();
    let health = LlmHealth::default();
    let model = gemini_else_openai(&sim, &fallback_sim, &metrics, &health);
    sim.state.inject(GeminiFault::region_refused(1));
    let heard = model.transcribe(&sample).await.unwrap();
    assert_eq!(heard.text, VOICE_NOTE_TRANSCRIPT);
    assert_eq!(heard.provider, "openai (fallback)");
    assert_eq!(fallback_sim.state.calls()[0].stage, 3);

    // A primary that cannot hear at all (no such endpoint): the fallback hears it, and
    // the primary's health, which is the conversation's, is untouched.
    let fresh = gemini_else_openai(&sim, &fallback_sim, &metrics, &health);
    health.register("primary", "gemini", "gemini-2.5-flash", None);
    sim.state.inject(GeminiFault::status(404, 1));
    let heard = fresh.transcribe(&sample).await.unwrap();
    assert_eq!(heard.provider, "openai (fallback)");
    assert_eq!(
        health.report()["primary"].state,
        ai_admin_activities::clients::llm::health::RouteState::Unknown,
        "{:?}",
        health.report()
    );
    // A voice note the primary rejects for another reason is not the fallback's.
    sim.state.inject(GeminiFault::status(400, 1));
    assert!(matches!(
        fresh.transcribe(&sample).await,
        Err(LlmError::Rejected { status: 400, .. })
    ));
}
