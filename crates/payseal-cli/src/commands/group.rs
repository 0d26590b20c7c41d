//! `payseal group init|add|remove|rotate|status`: one change to the controller state each,
//! under its lock; the key updates it makes are published (QoS 1, retained) and confirmed
//! before the lock is released, so retained updates follow the order of the changes.

use std::io::Write;

use payseal::{Kid, SystemClock};
use payseal_keys::{Controller, GroupStatus, Publish};
use payseal_rumqttc::escape_text;

use crate::Failure;
use crate::cli::{GroupCommand, KeysFile};
use crate::commands::controller::{self, failure};
use crate::commands::key_link::KeyLink;
use crate::commands::keys_config::{self, KeysConfig};
use crate::commands::mqtt::{FLUSH_TIMEOUT, runtime};
use crate::keyfile;

/// What a failed publish adds: the change itself is saved.
const SAVED: &str = "the change is saved in the controller state; `payseal keyserver` publishes \
                     every member's update again when it starts";

/// Runs one `payseal group` command.
pub(crate) fn run(command: &GroupCommand) -> Result<(), Failure> {
    match command {
        GroupCommand::Init { keys, group } => change(keys, |c| {
            c.create_group(group.as_bytes()).map(|()| Vec::new())
        }),
        GroupCommand::Add {
            keys,
            group,
            member,
        } => {
            let public = keyfile::read_recipient_public_key(member)?;
            let kid = hex::encode(public.kid().as_bytes());
            change(keys, |c| c.add_member(group.as_bytes(), public))?;
            println!("{kid}");
            Ok(())
        }
        GroupCommand::Remove {
            keys,
            group,
            member,
        } => {
            let kid = hex::decode(member)
                .ok()
                .and_then(|bytes| Kid::new(bytes).ok())
                .ok_or_else(|| {
                    Failure::Usage(format!(
                        "member {:?} is not a kid in hex (as `payseal group add` and `group status` print it)",
                        escape_text(member)
                    ))
                })?;
            change(keys, |c| c.remove_member(group.as_bytes(), &kid))
        }
        GroupCommand::Rotate { keys, group } => change(keys, |c| c.rotate(group.as_bytes())),
        GroupCommand::Status { keys, json } => {
            let config = keys_config::read(&keys.config)?;
            let status = controller::open(&config)?.status();
            let mut out = std::io::stdout().lock();
            for group in &status {
                let line = if *json {
                    json_line(group)
                } else {
                    text_line(group)
                };
                writeln!(out, "{line}")
                    .map_err(|e| Failure::Io(format!("cannot write to stdout: {e}")))?;
            }
            Ok(())
        }
    }
}

/// Opens the controller (locked), makes the change (persisted by the controller), then
/// publishes its updates and waits for the PUBACKs before unlocking.
fn change(
    keys: &KeysFile,
    make: impl FnOnce(&mut Controller<SystemClock>) -> Result<Vec<Publish>, payseal_keys::KeysError>,
) -> Result<(), Failure> {
    let config = keys_config::read(&keys.config)?;
    let mut controller = controller::open(&config)?;
    let updates = make(&mut controller).map_err(failure)?;
    if !updates.is_empty() {
        publish(&config, &updates).map_err(saved)?;
    }
    drop(controller);
    Ok(())
}

/// Connects, publishes `updates` (QoS 1, retained), waits for every PUBACK, disconnects.
fn publish(config: &KeysConfig, updates: &[Publish]) -> Result<(), Failure> {
    runtime()?.block_on(async {
        let (link, mut events) = KeyLink::connect(&config.broker).await?;
        let outcome = link.publish(updates).await;
        link.disconnect().await;
        if outcome.is_ok() {
            let deadline = tokio::time::Instant::now() + FLUSH_TIMEOUT;
            while let Ok(Some(_)) = tokio::time::timeout_at(deadline, events.recv()).await {}
        }
        outcome
    })
}

/// Says that the state is saved even though publishing failed.
fn saved(failure: Failure) -> Failure {
    match failure {
        Failure::Network(m) => Failure::Network(format!("{m}; {SAVED}")),
        Failure::Unconfirmed(m) => Failure::Unconfirmed(format!("{m}; {SAVED}")),
        Failure::Refused(m) => Failure::Refused(format!("{m}; {SAVED}")),
        other => other,
    }
}

fn name(group: &GroupStatus) -> String {
    String::from_utf8_lossy(&group.group).into_owned()
}

fn members(group: &GroupStatus) -> Vec<String> {
    group
        .members
        .iter()
        .map(|kid| hex::encode(kid.as_bytes()))
        .collect()
}

/// `plant current 3 pending 4 members ab01,cd02` (`-`: no rotation under way, no members).
fn text_line(group: &GroupStatus) -> String {
    let pending = group
        .pending
        .map_or_else(|| "-".to_owned(), |(epoch, _)| epoch.to_string());
    let members = members(group);
    format!(
        "{} current {} pending {} members {}",
        escape_text(&name(group)),
        group.current,
        pending,
        if members.is_empty() {
            "-".to_owned()
        } else {
            members.join(",")
        }
    )
}

/// One JSON object: group, current, pending (epoch or null), switch_at (unix seconds or
/// null), members (kids in hex).
fn json_line(group: &GroupStatus) -> String {
    serde_json::json!({
        "group": name(group),
        "current": group.current,
        "pending": group.pending.map(|(epoch, _)| epoch),
        "switch_at": group.pending.map(|(_, at)| at),
        "members": members(group),
    })
    .to_string()
}
