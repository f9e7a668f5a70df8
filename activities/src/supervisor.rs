//! Background tasks that must not die quietly: the relays, the WhatsApp event consumer,
//! the lease keeper, the live-event listener. [`Supervisor::spawn`] runs each from a
//! factory; a task that panics — or, for a task meant to run until the process stops,
//! returns — is started again from the factory after a back-off (growing while it keeps
//! failing), with a log line each time, and [`Supervisor::report`] says which tasks are
//! down meanwhile (`/marketplace/health` answers 503 then). A task started with
//! [`Supervisor::spawn_until_done`] may finish on purpose (its stop signal came).
//! Aborting the handle either returns stops the task with it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// First wait before a restart; doubled while the task keeps failing.
const FIRST_BACK_OFF: Duration = Duration::from_millis(500);
/// Longest wait before a restart.
const LONGEST_BACK_OFF: Duration = Duration::from_secs(30);
/// A task that ran this long before failing starts again from the first back-off.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// Where one task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Running.
    Running,
    /// Died, waiting to be started again.
    Restarting,
    /// Returned on purpose.
    Finished,
}

impl TaskState {
    /// The name health reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Finished => "finished",
        }
    }
}

/// One task as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskReport {
    /// Where it stands.
    pub state: TaskState,
    /// How often it was started again.
    pub restarts: u32,
}

/// The process's supervised tasks; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Supervisor {
    tasks: Arc<Mutex<BTreeMap<&'static str, TaskReport>>>,
}

/// Aborts the task it holds when dropped, so aborting the supervising task stops the
/// supervised one too.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Supervisor {
    /// A supervisor with no tasks yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(&self, name: &'static str, state: TaskState, restarts: u32) {
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name, TaskReport { state, restarts });
    }

    /// Runs `start()` as `name` for as long as the process: started again whenever it
    /// panics or returns.
    pub fn spawn<F, Fut>(&self, name: &'static str, start: F) -> JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.supervise(name, start, true)
    }

    /// Runs `start()` as `name` until it returns (then it is finished); started again
    /// whenever it panics.
    pub fn spawn_until_done<F, Fut>(&self, name: &'static str, start: F) -> JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.supervise(name, start, false)
    }

    fn supervise<F, Fut>(&self, name: &'static str, mut start: F, forever: bool) -> JoinHandle<()>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut restarts = 0;
            let mut back_off = FIRST_BACK_OFF;
            loop {
                registry.set(name, TaskState::Running, restarts);
                let started = Instant::now();
                let mut task = AbortOnDrop(tokio::spawn(start()));
                let how = match (&mut task.0).await {
                    Ok(()) if !forever => {
                        registry.set(name, TaskState::Finished, restarts);
                        tracing::info!(task = name, "background task finished");
                        return;
                    }
                    Ok(()) => "returned",
                    Err(error) if error.is_cancelled() => return,
                    Err(_) => "panicked",
                };
                restarts += 1;
                if started.elapsed() >= HEALTHY_RUN {
                    back_off = FIRST_BACK_OFF;
                }
                registry.set(name, TaskState::Restarting, restarts);
                tracing::error!(
                    task = name,
                    how,
                    restarts,
                    wait_ms = back_off.as_millis() as u64,
                    "background task died; starting it again"
                );
                tokio::time::sleep(back_off).await;
                back_off = (back_off * 2).min(LONGEST_BACK_OFF);
            }
        })
    }

    /// Every task by name.
    pub fn report(&self) -> BTreeMap<&'static str, TaskReport> {
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The tasks that are down right now.
    pub fn down(&self) -> Vec<&'static str> {
        self.report()
            .into_iter()
            .filter(|(_, task)| task.state == TaskState::Restarting)
            .map(|(name, _)| name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_is_reported_down_then_started_again() {
        let supervisor = Supervisor::new();
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let _handle = supervisor.spawn("flaky", move || {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if run < 2 {
                    panic!("run {run} fails");
                }
                std::future::pending::<()>().await;
            }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(supervisor.down(), ["flaky"], "down after its first panic");
        tokio::time::sleep(FIRST_BACK_OFF * 4).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let report = supervisor.report()["flaky"];
        assert_eq!(report.state, TaskState::Running);
        assert_eq!(report.restarts, 2);
        assert!(supervisor.down().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_finite_task_that_returns_is_finished_and_aborting_stops_the_task_itself() {
        let supervisor = Supervisor::new();
        supervisor
            .spawn_until_done("done", || async {})
            .await
            .unwrap();
        assert_eq!(supervisor.report()["done"].state, TaskState::Finished);

        // A task meant to run for good that returns is started again.
        let starts = Arc::new(AtomicU32::new(0));
        let counted = starts.clone();
        let _forever = supervisor.spawn("returns", move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async {}
        });
        tokio::time::sleep(FIRST_BACK_OFF * 4).await;
        assert!(starts.load(Ordering::SeqCst) >= 3);
        assert!(supervisor.report()["returns"].restarts >= 2);

        let alive = Arc::new(AtomicU32::new(0));
        let ticks = alive.clone();
        let handle = supervisor.spawn("forever", move || {
            let ticks = ticks.clone();
            async move {
                loop {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        handle.abort();
        let _ = handle.await;
        let seen = alive.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            alive.load(Ordering::SeqCst),
            seen,
            "the task stopped with its supervisor"
        );
    }
}
