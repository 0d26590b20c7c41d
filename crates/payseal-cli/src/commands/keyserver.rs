//! `payseal keyserver`: the long-running side of the controller. It republishes every
//! member's update when it (re)connects, then once a second finishes hand-overs and starts
//! scheduled rotations (`tick`), publishing what they return. The controller state is locked
//! only for each of those steps, so `payseal group` commands run beside it.

use std::time::Duration;

use payseal_keys::{KeysError, Publish};
use payseal_rumqttc::Event;
use tokio::signal::unix::{SignalKind, signal};

use crate::Failure;
use crate::cli::KeysFile;
use crate::commands::controller::{self, failure};
use crate::commands::key_link::KeyLink;
use crate::commands::keys_config::{self, KeysConfig};
use crate::commands::mqtt::runtime;

/// How often `tick` runs.
const TICK: Duration = Duration::from_secs(1);

/// What one step does with the controller.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Every member's current update again (on start and after a reconnect).
    Republish,
    /// Hand-overs due and scheduled rotations.
    Tick,
}

/// How a step went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Done, and everything it made was confirmed by the broker.
    Done,
    /// Not run: the state is busy or cannot be opened; nothing changed.
    Skipped,
    /// The state may have changed but its updates did not all get out: republish.
    Lost,
}

/// Runs until SIGINT or SIGTERM.
pub(crate) fn run(keys: &KeysFile) -> Result<(), Failure> {
    init_logging();
    let config = keys_config::read(&keys.config)?;
    // Refuse a bad key or a damaged state at once, not a second later in the loop (a
    // `payseal group` command holding the state just now is no reason to stop).
    match controller::open(&config) {
        Ok(_) | Err(Failure::Busy(_)) => {}
        Err(e) => return Err(e),
    }
    runtime()?.block_on(async {
        let signal_error = |e: std::io::Error| Failure::Io(format!("cannot watch signals: {e}"));
        let mut sigterm = signal(SignalKind::terminate()).map_err(signal_error)?;
        let mut sigint = signal(SignalKind::interrupt()).map_err(signal_error)?;
        let (link, mut events) = KeyLink::connect(&config.broker).await?;
        tracing::info!("connected; republishing every member's update");
        let mut republish = true;
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = sigterm.recv() => break,
                _ = sigint.recv() => break,
                event = events.recv() => match event {
                    Some(Event::Connected { .. }) => {
                        tracing::info!("reconnected; republishing every member's update");
                        republish = true;
                    }
                    Some(Event::Disconnected { error }) => {
                        tracing::warn!(%error, "disconnected from the broker; reconnecting");
                    }
                    Some(_) => {}
                    None => return Err(Failure::Network("the connection closed".into())),
                },
                _ = ticker.tick() => {
                    if republish {
                        republish = step(&config, &link, Step::Republish).await != Outcome::Done;
                    }
                    if step(&config, &link, Step::Tick).await == Outcome::Lost {
                        republish = true;
                    }
                }
            }
        }
        tracing::info!("stopping");
        link.disconnect().await;
        Ok(())
    })
}

/// Opens the controller (skipping this step if a `payseal group` command holds it), runs
/// `step`, publishes what it returned and waits for the PUBACKs, then unlocks. Failures are
/// logged: the state is persisted before anything is published, and the next republish
/// heals what did not get out.
async fn step(config: &KeysConfig, link: &KeyLink, step: Step) -> Outcome {
    let mut controller = match controller::open(config) {
        Ok(controller) => controller,
        Err(Failure::Busy(_)) => {
            tracing::debug!(?step, "controller state busy; next time");
            return Outcome::Skipped;
        }
        Err(e) => {
            tracing::error!(?step, error = %e, "cannot open the controller state");
            return Outcome::Skipped;
        }
    };
    let updates: Result<Vec<Publish>, KeysError> = match step {
        Step::Republish => controller.republish(),
        Step::Tick => controller.tick(),
    };
    let updates = match updates {
        Ok(updates) => updates,
        Err(e) => {
            tracing::error!(?step, error = %failure(e), "controller step failed");
            return Outcome::Lost;
        }
    };
    if updates.is_empty() {
        return Outcome::Done;
    }
    match link.publish(&updates).await {
        Ok(()) => {
            tracing::info!(?step, updates = updates.len(), "key updates published");
            Outcome::Done
        }
        Err(e) => {
            tracing::warn!(?step, error = %e, "key updates not confirmed; republishing");
            Outcome::Lost
        }
    }
}

/// Logs on stderr, INFO and above.
fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .try_init();
}
