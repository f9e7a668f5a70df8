//! One evaluation run: the app in this process against the YClients simulator holding
//! the corpus salon, the WhatsApp simulator and the chosen brain; the salon onboarded
//! the owner's way; then every conversation, turn by turn, through the phone's
//! `/dev/whatsapp/{session}/incoming`, each turn judged once its messages are answered.

use super::Llm;
use super::corpus::{Conversation, Corpus, TurnSpec};
use super::judge::{self, Changes, Context, Observed};
use super::report::{Report, TurnResult};
use super::salon::{self, Built};
use crate::config::{Config, LlmProviderKind};
use crate::local_app::{self, LocalApp, onboard, wait_for};
use ai_admin_activities::acts::conversation::courtesy;
use ai_admin_activities::assistant::catalog::Catalog;
use ai_admin_activities::db::assistant_views as catalog;
use ai_admin_activities::db::{self, companies, turns};
use ai_admin_activities::domain::{SalonId, SessionId};
use ai_admin_simulators::gemini::{self as gemini_sim, GeminiSimState, RunningGemini};
use ai_admin_simulators::yclients::{self, SimState};
use anyhow::Context as _;
use serde_json::json;
use sqlx::PgPool;
use std::time::{Duration, Instant};

const PARTNER_TOKEN: &str = "eval-partner-token";
const GEMINI_KEY: &str = "eval-gemini-key";
/// Quick messages of one turn are sent within this; the bot waits this long for more.
const DEBOUNCE_MS: u64 = 400;
/// Connections of the pool the evaluation reads its checks with (the app has its own).
const CHECK_CONNECTIONS: u32 = 5;

/// What a run needs besides the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The corpus.
    pub corpus: &'a Corpus,
    /// The brain.
    pub llm: Llm,
    /// The prompt set (`ASSISTANT_PROMPT_VERSION`).
    pub prompt_version: &'a str,
    /// How long one turn may take before it counts as unanswered.
    pub patience: Duration,
}

/// The app and what the run reads besides it.
struct Stage {
    base: String,
    http: reqwest::Client,
    pool: PgPool,
    yclients: yclients::RunningSimulator,
    gemini: Option<RunningGemini>,
    built: Built,
    salon_id: SalonId,
    catalog: Catalog,
    prices: Vec<u32>,
}

/// Plays the corpus and judges it, on one salon date: a run that crosses the salon's
/// midnight is played again from the start.
///
/// The corpus is written against "today" (`{+N}`, «завтра», the seeded visits), fixed when
/// the salon is built, while the app reads its own clock; after midnight every turn would
/// be judged a day off. A second run starts just after midnight, so it has a whole day.
pub async fn play(config: Config, run: Run<'_>) -> anyhow::Result<Report> {
    let zone: chrono_tz::Tz = run
        .corpus
        .salon
        .timezone
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown time zone {}", run.corpus.salon.timezone))?;
    on_one_date(
        || chrono::Utc::now().with_timezone(&zone).date_naive(),
        |today| play_on(config.clone(), run, today),
    )
    .await
}

/// Runs of one corpus before the evaluation gives up on finding one salon date: the
/// second starts after midnight, so it fails only if a run takes a day.
const MIDNIGHT_ATTEMPTS: usize = 2;

/// `play(today)` until the salon's date (`salon_today`) is the same after it as before.
async fn on_one_date<T, F, Fut>(
    salon_today: impl Fn() -> chrono::NaiveDate,
    mut play: F,
) -> anyhow::Result<T>
where
    F: FnMut(chrono::NaiveDate) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    for _ in 0..MIDNIGHT_ATTEMPTS {
        let today = salon_today();
        let played = play(today).await?;
        let now = salon_today();
        if now == today {
            return Ok(played);
        }
        eprintln!(
            "The run crossed the salon's midnight ({today} became {now}): playing the corpus again on one date."
        );
    }
    anyhow::bail!("each of {MIDNIGHT_ATTEMPTS} runs crossed the salon's midnight")
}

/// Plays the corpus once with the salon built for `today` and judges it.
async fn play_on(
    mut config: Config,
    run: Run<'_>,
    today: chrono::NaiveDate,
) -> anyhow::Result<Report> {
    let run_id: u64 = rand::random();
    let salon_id = SalonId::new(700_000_000 + (run_id % 100_000_000) as i64)?;
    let built = salon::build(run.corpus, i64::from(salon_id.get()), today)?;
    let yclients = yclients::spawn(
        tokio::net::TcpListener::bind("127.0.0.1:0").await?,
        SimState::new(PARTNER_TOKEN, vec![built.salon.clone()]),
    )?;
    let gemini = match run.llm {
        Llm::Simulator | Llm::Oracle => {
            let running = gemini_sim::spawn(
                tokio::net::TcpListener::bind("127.0.0.1:0").await?,
                GeminiSimState::new(GEMINI_KEY),
            )?;
            config.llm.simulated(&running.base_url(), GEMINI_KEY);
            Some(running)
        }
        Llm::Gemini => {
            anyhow::ensure!(
                config.llm.primary.kind == LlmProviderKind::Gemini
                    && config.llm.primary.api_key.is_some(),
                "--llm gemini needs GEMINI_API_KEY or LLM_API_KEY (and GEMINI_BASE_URL / GEMINI_MODEL when not Google's defaults)"
            );
            None
        }
        Llm::Openai => {
            anyhow::ensure!(
                config.llm.primary.kind == LlmProviderKind::OpenAi,
                "--llm openai needs LLM_PROVIDER=openai with LLM_BASE_URL, LLM_API_KEY and LLM_MODEL"
            );
            None
        }
    };
    let mut config = local_app::simulated(
        config,
        format!("eval-{run_id:x}"),
        yclients.base_url(),
        PARTNER_TOKEN,
    );
    config.assistant.conversation.debounce_ms = DEBOUNCE_MS;
    config.assistant.prompt_version = run.prompt_version.to_owned();
    let model = config.llm.primary.model.clone();
    let pool = db::connect_lazy(config.database_url.expose(), CHECK_CONNECTIONS)?;
    db::migrate(&pool).await?;

    let app = LocalApp::start(config).await?;
    let base = app.base.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    onboard(&http, &base, salon_id).await?;
    let stage = ready(
        Stage {
            base,
            http,
            pool: pool.clone(),
            yclients,
            gemini,
            built,
            salon_id,
            catalog: Catalog::default(),
            prices: Vec::new(),
        },
        run.corpus,
    )
    .await?;

    let mut results = Vec::new();
    for (n, conversation) in run.corpus.conversations.iter().enumerate() {
        results.extend(play_conversation(&stage, run, n, conversation).await?);
    }
    app.stop().await?;
    pool.close().await;
    Ok(Report::new(
        run.llm.name(),
        &model,
        run.prompt_version,
        run.corpus.conversations.len(),
        results,
        DEBOUNCE_MS,
    ))
}

/// Waits for onboarding to finish (welcome sent, the salon synced) and loads what the
/// judge compares with.
async fn ready(mut stage: Stage, corpus: &Corpus) -> anyhow::Result<Stage> {
    let ids = [stage.salon_id.get()];
    wait_for(
        &stage.pool,
        "SELECT COUNT(*) FROM outbound_messages
         WHERE salon_id = ANY($1) AND idempotency_key LIKE 'welcome/%' AND status = 'sent'",
        &ids,
        1,
        Duration::from_secs(300),
        "the salon's onboarding",
    )
    .await?;
    let company = companies::find_by_salon(&stage.pool, stage.salon_id)
        .await?
        .context("the salon was not registered")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let catalog = catalog::load(&stage.pool, company.id).await?;
        let visits: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE company_id = $1")
            .bind(company.id)
            .fetch_one(&stage.pool)
            .await?;
        if catalog.services.len() == corpus.salon.services.len()
            && catalog.staff.len() == corpus.salon.staff.len()
            && visits > 0
        {
            stage.catalog = catalog;
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the salon's first sync did not finish: {} of {} services, {} masters, {visits} visits",
            catalog.services.len(),
            corpus.salon.services.len(),
            catalog.staff.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stage.prices = corpus.salon.services.iter().flat_map(|s| s.price).collect();
    Ok(stage)
}

/// What stage 1 answers under `--llm oracle`: the turn's expected commands.
fn oracle_answer(turn: &TurnSpec) -> String {
    let commands: Vec<_> = turn
        .expect
        .iter()
        .map(|c| json!({ "command": c.command, "params": c.params }))
        .collect();
    json!({ "commands": commands }).to_string()
}

async fn play_conversation(
    stage: &Stage,
    run: Run<'_>,
    n: usize,
    conversation: &Conversation,
) -> anyhow::Result<Vec<TurnResult>> {
    salon::reset(&stage.yclients.state, &stage.built);
    // The owner's settings as this conversation wants them (the defaults unless it says).
    let settings = conversation
        .settings
        .clone()
        .unwrap_or_default()
        .settings()?;
    db::settings::save(&stage.pool, stage.salon_id, &settings).await?;
    let known = stage.built.clients.get(n).cloned().flatten();
    let phone = known
        .as_ref()
        .map_or_else(|| salon::new_client_phone(n), |c| c.phone.clone());
    let visits = known.map(|c| c.visits).unwrap_or_default();
    let session = SessionId::for_salon(stage.salon_id);
    let mut booked_earlier = None;
    let mut sent = 0usize;
    let mut results = Vec::new();
    for (t, spec) in conversation.turns.iter().enumerate() {
        let turn = &spec.concrete(stage.built.today, &visits, booked_earlier);
        let before = records(stage);
        let replies_before = replies(stage, &phone).await?.len();
        let turns_before = turns::for_client(&stage.pool, stage.salon_id, &phone)
            .await?
            .len();
        if let (Llm::Oracle, Some(gemini)) = (run.llm, &stage.gemini) {
            gemini.state.clear_script();
            gemini.state.script_stage1(oracle_answer(turn));
        }
        let mut messages: Vec<serde_json::Value> = turn
            .say
            .iter()
            .map(|text| json!({ "text": text }))
            .collect();
        if turn.voice {
            messages.push(json!({ "kind": "voice", "text": "",
                "media": { "mimetype": "audio/ogg; codecs=opus", "seconds": 7 } }));
        }
        if let Some(words) = &turn.voice_says {
            messages.push(voice_saying(words));
        }
        for (m, message) in messages.into_iter().enumerate() {
            let mut body = message;
            body["from"] = json!(phone);
            body["id"] = json!(format!("eval-{}-{t}-{m}", conversation.id));
            if let Some(name) = &conversation.push_name {
                body["name"] = json!(name);
            }
            let url = format!("{}/dev/whatsapp/{session}/incoming", stage.base);
            let response = stage.http.post(url).json(&body).send().await?;
            anyhow::ensure!(
                response.status() == 200,
                "{} turn {}: the phone's message was refused: {} {}",
                conversation.id,
                t + 1,
                response.status(),
                response.text().await.unwrap_or_default()
            );
            sent += 1;
        }
        let latency = answered(stage, &phone, sent, run.patience)
            .await
            .with_context(|| format!("{} turn {}", conversation.id, t + 1))?;
        let after = records(stage);
        let changes = Changes::between(&before, &after);
        let all_replies = replies(stage, &phone).await?;
        let new_replies = &all_replies[replies_before.min(all_replies.len())..];
        let reply = (!new_replies.is_empty()).then(|| new_replies.join("\n"));
        let records_now = turns::for_client(&stage.pool, stage.salon_id, &phone).await?;
        let new_turns = &records_now[turns_before.min(records_now.len())..];
        let produced: Vec<judge::Produced> = new_turns
            .iter()
            .flat_map(|r| judge::produced(r.commands.as_ref(), r.problems.as_ref()))
            .collect();
        let tokens = |pick: fn(&turns::TurnRecord) -> [Option<i32>; 2]| -> u32 {
            new_turns
                .iter()
                .flat_map(pick)
                .flatten()
                .map(|n| n.max(0).unsigned_abs())
                .sum()
        };
        let prompt_tokens = tokens(|r| [r.stage1_prompt_tokens, r.stage2_prompt_tokens]);
        let output_tokens = tokens(|r| [r.stage1_output_tokens, r.stage2_output_tokens]);
        let context = Context {
            catalog: &stage.catalog,
            today: stage.built.today,
            services: &stage.built.services,
            staff: &stage.built.staff,
            visits: &visits,
            booked_earlier,
            prices: &stage.prices,
        };
        // A turn that reacted records its emoji as its reply and sends no text.
        let reacted = new_turns
            .iter()
            .filter_map(|r| r.reply.clone())
            .find(|r| [courtesy::THANKS, courtesy::GOODBYE].contains(&r.as_str()))
            .filter(|_| reply.is_none());
        let seen = Observed {
            produced,
            changes: changes.clone(),
            reply: reply.clone(),
            reacted: reacted.clone(),
        };
        let verdict = judge::judge(turn, &seen, context);
        if let [record] = changes.booked.as_slice() {
            booked_earlier = Some(record.id);
        }
        let mut said: Vec<String> = turn.say.clone();
        if turn.voice {
            said.push("🎤 голосовое".to_owned());
        }
        if let Some(words) = &turn.voice_says {
            said.push(format!("🎤 «{words}»"));
        }
        results.push(TurnResult {
            conversation: conversation.id.clone(),
            turn: t + 1,
            intent: turn.intent(),
            said: said.join(" / "),
            reply: reply.or_else(|| reacted.map(|r| format!("[реакция {r}]"))),
            produced: judge::produced_text(&seen.produced),
            commands: verdict.commands,
            entities: verdict.entities,
            effects: verdict.effects,
            reply_ok: verdict.reply,
            reasons: verdict.reasons,
            tokens: prompt_tokens + output_tokens,
            prompt_tokens,
            output_tokens,
            latency_ms: latency.as_millis() as u64,
        });
    }
    Ok(results)
}

/// A voice note saying `words`: the shipped sample when they are its words, else
/// scripted speech the simulated model hears as them.
fn voice_saying(words: &str) -> serde_json::Value {
    use ai_admin_simulators::gemini::hearing::{
        SPOKEN, VOICE_NOTE, VOICE_NOTE_MIME, VOICE_NOTE_SECONDS, VOICE_NOTE_TRANSCRIPT,
    };
    use base64::Engine as _;
    let (data, seconds) = if words == VOICE_NOTE_TRANSCRIPT {
        (VOICE_NOTE.to_vec(), VOICE_NOTE_SECONDS)
    } else {
        let seconds = u32::try_from(words.chars().count() / 12 + 1).unwrap_or(u32::MAX);
        (format!("{SPOKEN}{words}").into_bytes(), seconds)
    };
    json!({ "voice": {
        "mime": VOICE_NOTE_MIME,
        "data_base64": base64::engine::general_purpose::STANDARD.encode(data),
        "seconds": seconds,
    } })
}

fn records(stage: &Stage) -> Vec<ai_admin_simulators::yclients::seed::Record> {
    stage
        .yclients
        .state
        .read_salon(stage.built.salon.id, |s| s.records.clone())
        .unwrap_or_default()
}

/// The bot's replies to `phone`, oldest first.
async fn replies(stage: &Stage, phone: &str) -> anyhow::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT text FROM outbound_messages
         WHERE salon_id = $1 AND to_phone = $2 AND idempotency_key LIKE 'reply/%'
           AND status = 'sent'
         ORDER BY sent_at, created_at",
    )
    .bind(stage.salon_id.get())
    .bind(phone)
    .fetch_all(&stage.pool)
    .await?)
}

/// Waits until all `sent` messages from `phone` are recorded and none is waiting; the
/// time from the last one's arrival to the last one's answer.
async fn answered(
    stage: &Stage,
    phone: &str,
    sent: usize,
    patience: Duration,
) -> anyhow::Result<Duration> {
    let deadline = Instant::now() + patience;
    loop {
        let (total, pending, latency): (i64, i64, Option<f64>) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE status = 'pending'),
                    EXTRACT(EPOCH FROM (MAX(handled_at) - MAX(received_at)))::float8
             FROM inbound_messages WHERE salon_id = $1 AND client_phone = $2",
        )
        .bind(stage.salon_id.get())
        .bind(phone)
        .fetch_one(&stage.pool)
        .await?;
        if total >= sent as i64 && pending == 0 {
            return Ok(Duration::from_secs_f64(latency.unwrap_or(0.0).max(0.0)));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no answer within {patience:?} ({pending} of {total} messages waiting)"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::on_one_date;
    use chrono::{Days, NaiveDate};
    use std::cell::Cell;

    fn december(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
    }

    #[tokio::test]
    async fn a_run_that_crosses_midnight_is_played_again_on_the_new_date() {
        // The clock is read before and after each run: the first run ends past midnight.
        let readings = [december(5), december(6), december(6), december(6)];
        let read = Cell::new(0);
        let clock = || {
            read.set(read.get() + 1);
            readings[read.get() - 1]
        };
        let played = Cell::new(Vec::new());
        let report = on_one_date(clock, |today| {
            let mut dates = played.take();
            dates.push(today);
            played.set(dates);
            async move { anyhow::Ok(today) }
        })
        .await
        .unwrap();
        assert_eq!(report, december(6));
        assert_eq!(played.take(), vec![december(5), december(6)]);
    }

    #[tokio::test]
    async fn a_run_on_one_date_is_played_once() {
        let plays = Cell::new(0);
        let report = on_one_date(
            || december(5),
            |today| {
                plays.set(plays.get() + 1);
                async move { anyhow::Ok(today) }
            },
        )
        .await
        .unwrap();
        assert_eq!((report, plays.get()), (december(5), 1));
    }

    #[tokio::test]
    async fn a_clock_that_never_settles_is_an_error_not_a_loop() {
        let day = Cell::new(december(1));
        let clock = || {
            let today = day.get();
            day.set(today + Days::new(1));
            today
        };
        let err = on_one_date(clock, |today| async move { anyhow::Ok(today) })
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("crossed the salon's midnight"),
            "{err}"
        );
    }
}
