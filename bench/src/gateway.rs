//! `ai-admin-bench gateway`: what routing a WhatsApp call costs. One gateway node holds
//! a linked simulated session; the same sends are made through the routed gateway of
//! that node (local: the single-process deployment) and of a process without the gateway
//! role (remote: a `wa-call` workflow on the node's task queue), plain and keyed
//! (`wa-send-…`, the path of every welcome, reply and reminder). Calls go one at a time
//! with a gap between them (`--gap-ms`, like a salon's traffic), so each figure is one
//! call's round trip; p50/p99/max are printed. (Back to back with no gap, a remote call
//! settles near 100 ms on the dev server after a handful of calls.)

use ai_admin_activities::db;
use ai_admin_activities::domain::{ClientAddress, PhoneNumber, SalonId, SessionId};
use ai_admin_activities::whatsapp::WhatsAppGateway;
use ai_admin_activities::whatsapp::ownership::GatewayNode;
use ai_admin_activities::whatsapp::pacing::{Origin, Pace, SendPacer};
use ai_admin_activities::whatsapp::routed::RoutedGateway;
use ai_admin_activities::whatsapp::simulator::{SimulatedGateway, SimulatorSettings};
use ai_admin_api::config::Config;
use ai_admin_temporal::connection;
use ai_admin_temporal::gateway_calls::TemporalGateways;
use ai_admin_temporal::worker::{Queue, spawn_workers};
use anyhow::Context as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Connections of the benchmark's pool: its gateway node's leases and the routed calls.
const POOL_CONNECTIONS: u32 = 10;

const LEASE: Duration = Duration::from_secs(15);

/// Sorted round trips of one kind of call.
struct Timings(Vec<Duration>);

impl Timings {
    fn at(&self, q: f64) -> Duration {
        let index = ((self.0.len() as f64 - 1.0) * q).round() as usize;
        self.0.get(index).copied().unwrap_or_default()
    }
}

async fn timed<F, Fut>(calls: usize, gap: Duration, mut call: F) -> anyhow::Result<Timings>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut timings = Vec::with_capacity(calls);
    for n in 0..calls {
        let started = Instant::now();
        call(n).await?;
        timings.push(started.elapsed());
        tokio::time::sleep(gap).await;
    }
    timings.sort();
    Ok(Timings(timings))
}

/// Runs `calls` sends of each kind, `gap` apart, and prints the figures.
pub async fn run(config: Config, calls: usize, gap: Duration) -> anyhow::Result<()> {
    let run_id: u32 = rand::random();
    let pool = db::connect_lazy(config.database_url.expose(), POOL_CONNECTIONS)?;
    db::migrate(&pool).await?;
    let temporal = connection::connect(&config.temporal).await?;

    let simulator = SimulatedGateway::new(SimulatorSettings::default());
    let node = GatewayNode::new(
        format!("bench-gw-{run_id:08x}"),
        pool.clone(),
        LEASE,
        Arc::new(simulator.clone()),
        Some(simulator.clone()),
    )
    // The bench measures the route, not the salon's sending budget.
    .with_pacer(SendPacer::new(Pace::UNLIMITED, Pace::UNLIMITED));
    let worker = spawn_workers(temporal.clone(), vec![Queue::Gateway(node.clone())], None).await?;
    node.start().await?;
    let (stop_keeper, keeper_stopping) = tokio::sync::watch::channel(false);
    let keeper = node.spawn_keeper(
        keeper_stopping,
        &ai_admin_activities::supervisor::Supervisor::new(),
    );
    let remote = Arc::new(TemporalGateways::new(temporal.clone(), pool.clone()));
    let local = RoutedGateway::new(Some(node.clone()), pool.clone(), remote.clone(), LEASE);
    let elsewhere = RoutedGateway::new(None, pool.clone(), remote, LEASE);

    let session = SessionId::for_salon(SalonId::new(700_000_000 + i64::from(run_id % 1_000_000))?);
    let owner = PhoneNumber::parse("79001230000")?;
    let client = ClientAddress::from(PhoneNumber::parse("79001230001")?);
    // The session goes to the node (the API process asks for it), and the phone links.
    elsewhere
        .create_session(session)
        .await
        .context("Failed to create the session on the node")?;
    simulator.link(session, owner)?;

    let send = |gateway: &RoutedGateway, keyed: Option<String>| {
        let (gateway, client) = (gateway.clone(), client.clone());
        async move {
            match keyed {
                Some(key) => {
                    gateway
                        .send_text_once(session, &client, "Добрый день!", &key, Origin::Reply)
                        .await
                }
                None => gateway.send_text(session, &client, "Добрый день!").await,
            }
            .map(drop)
            .map_err(anyhow::Error::new)
        }
    };
    let local_sends = timed(calls, gap, |_| send(&local, None)).await?;
    let remote_sends = timed(calls, gap, |_| send(&elsewhere, None)).await?;
    let keyed_sends = timed(calls, gap, |n| {
        send(&elsewhere, Some(format!("bench/{run_id:x}/{n}")))
    })
    .await?;
    // Asked again, a keyed send answers from the first one and sends nothing.
    let sent_before = simulator.outbox(session)?.len();
    let repeats = timed(calls, gap, |n| {
        send(&elsewhere, Some(format!("bench/{run_id:x}/{n}")))
    })
    .await?;
    let resent = simulator.outbox(session)?.len() - sent_before;

    print_report(
        calls,
        gap,
        &[
            ("local (this process holds the session)", &local_sends),
            ("remote (wa-call on the node's queue)", &remote_sends),
            ("remote keyed (wa-send, first time)", &keyed_sends),
            ("remote keyed, asked again", &repeats),
        ],
        resent,
    );
    node.close(Duration::from_secs(5)).await;
    let _ = stop_keeper.send(true);
    keeper.await?;
    node.hand_back().await;
    worker.shutdown().await?;
    pool.close().await;
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print_report(calls: usize, gap: Duration, rows: &[(&str, &Timings)], resent: usize) {
    println!(
        "one WhatsApp send at a time through the routed gateway, {calls} calls each, {} ms apart:",
        gap.as_millis()
    );
    println!("{:<42} {:>9} {:>9} {:>9}", "path", "p50", "p99", "max");
    for (name, timings) in rows {
        println!(
            "{name:<42} {:>7.2}ms {:>7.2}ms {:>7.2}ms",
            timings.at(0.5).as_secs_f64() * 1e3,
            timings.at(0.99).as_secs_f64() * 1e3,
            timings.at(1.0).as_secs_f64() * 1e3,
        );
    }
    println!("keyed sends asked again that sent a second message: {resent}");
}
