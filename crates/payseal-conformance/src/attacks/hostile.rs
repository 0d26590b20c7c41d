//! Frames no honest broker sends, as rows of the attack table: a topic holding a NUL (valid
//! UTF-8, yet forbidden in MQTT topic names), a topic that is not UTF-8, and two PUBLISH
//! packets of 250 MiB. The subscriber must survive them (this process must not abort), deliver
//! nothing from them (each is refused, or the adapter closes the connection), keep its peak
//! memory bounded, and receive legitimate traffic again afterwards.

use std::time::{Duration, Instant};

use payseal::{Counter, Sealer, SystemClock};
use payseal_mqtt::{Event, QoS};
use payseal_testkit::mitm::Mitm;
use payseal_testkit::mqtt::raw_publish;
use tokio::sync::mpsc::Receiver;

use super::{Lab, Row, sensor};
use crate::Adapter;

/// The table's name for "the adapter closed the connection (and reconnected)".
const CLOSED: &str = "connection closed";
/// The size of each oversized PUBLISH's payload.
const HUGE: usize = 250 * 1024 * 1024;
/// The most the subscriber process's peak memory (VmHWM) may grow over all hostile rows.
const PEAK_GROWTH_KIB: usize = 64 * 1024;
/// The legitimate topic the probes use after each row.
const PROBE_TOPIC: &str = "plant/1/temp";

/// One hostile row: its name, how many frames it sends, and how it sends one. Each frame is
/// sent once the previous one was answered (on the connection the adapter then has).
struct Hostile {
    name: &'static str,
    frames: usize,
    send: Box<dyn Fn(&Mitm) + Send + Sync>,
}

fn hostile_frames() -> Vec<Hostile> {
    // A genuine envelope as the payload: only the topic (or the size) is hostile.
    let mut sealer = Sealer::new(sensor(), Counter::from_unix_micros(), SystemClock);
    let envelope = sealer.seal(PROBE_TOPIC, b"21.5").unwrap();
    let with_nul = raw_publish(b"plant/1/\0temp", &envelope);
    let not_utf8 = raw_publish(b"plant/1/\xfftemp", &envelope);
    vec![
        Hostile {
            name: "topic with a NUL (valid UTF-8)",
            frames: 1,
            send: Box::new(move |mitm| mitm.inject_raw(with_nul.clone())),
        },
        Hostile {
            name: "topic not UTF-8",
            frames: 1,
            send: Box::new(move |mitm| mitm.inject_raw(not_utf8.clone())),
        },
        Hostile {
            name: "two 250 MiB PUBLISH packets",
            frames: 2,
            send: Box::new(|mitm| mitm.inject_oversized(b"plant/1/temp", HUGE)),
        },
    ]
}

/// Runs the hostile rows, adding them to `table` and what went wrong to `failures`.
pub(super) async fn rows<A: Adapter>(
    lab: &mut Lab<A>,
    table: &mut Vec<(&'static str, Row, bool)>,
    failures: &mut Vec<String>,
) {
    let peak_before = peak_kib();
    for hostile in hostile_frames() {
        let mut row = Row {
            injected: hostile.frames,
            ..Row::default()
        };
        let mut accepted = 0;
        for _ in 0..hostile.frames {
            (hostile.send)(&lab.mitm);
            accepted += answer(&mut lab.events, &mut row).await;
        }
        let answered: usize = row.rejected.values().sum();
        if accepted > 0 || answered != hostile.frames {
            failures.push(format!(
                "{}: {accepted} accepted, {answered} of {} answered: {:?}",
                hostile.name, hostile.frames, row.rejected
            ));
        }
        row.delivered = legitimate_traffic_resumes(lab).await;
        if row.delivered == 0 {
            failures.push(format!(
                "{}: legitimate traffic never resumed",
                hostile.name
            ));
            row.lost = 1;
        }
        println!(
            "hostile row \"{}\": answered {:?}, {accepted} accepted, {} legitimate delivered after; peak RSS {} KiB",
            hostile.name,
            row.rejected,
            row.delivered,
            peak_kib()
        );
        table.push((hostile.name, row, true));
    }
    let peak_after = peak_kib();
    println!("\nhostile frames: subscriber peak RSS (VmHWM) {peak_before} KiB -> {peak_after} KiB");
    if peak_after.saturating_sub(peak_before) > PEAK_GROWTH_KIB {
        failures.push(format!(
            "hostile frames: peak memory grew by {} KiB (limit {PEAK_GROWTH_KIB} KiB)",
            peak_after - peak_before
        ));
    }
}

/// Waits until a hostile frame was answered, by a rejection or by the adapter closing the
/// connection (a disconnect, then the reconnect); returns how many were delivered as messages
/// (must be none).
async fn answer(events: &mut Receiver<Event>, row: &mut Row) -> usize {
    let frames = 1;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut accepted = 0;
    let mut down = false;
    let mut answered = 0;
    while answered < frames {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(event) = tokio::time::timeout(left, events.recv()).await else {
            return accepted;
        };
        match event {
            Some(Event::Message(_)) => {
                accepted += 1;
                answered += 1;
            }
            Some(Event::Rejected { reason, .. }) => {
                *row.rejected.entry(reason.code().to_string()).or_default() += 1;
                answered += 1;
            }
            Some(Event::Duplicate { .. }) => {
                *row.rejected.entry("duplicate".to_string()).or_default() += 1;
                answered += 1;
            }
            Some(Event::Disconnected { .. }) => down = true,
            Some(Event::Connected { .. }) if down => {
                down = false;
                *row.rejected.entry(CLOSED.to_string()).or_default() += 1;
                answered += 1;
            }
            Some(_) => {}
            None => panic!("event stream closed"),
        }
    }
    accepted
}

/// Publishes on [`PROBE_TOPIC`] until a message arrives (the subscriber may be reconnecting
/// and restoring its subscription), then counts what else arrives within 500 ms.
async fn legitimate_traffic_resumes<A: Adapter>(lab: &mut Lab<A>) -> usize {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut delivered = 0;
    while delivered == 0 && Instant::now() < deadline {
        // The subscriber's clock follows real time (the rows take a while).
        lab.clock.set(super::now());
        A::publish(
            &lab.publisher,
            PROBE_TOPIC,
            QoS::AtLeastOnce,
            false,
            b"21.5",
        )
        .await
        .unwrap();
        let wait = tokio::time::sleep(Duration::from_millis(300));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                event = lab.events.recv() => match event {
                    Some(Event::Message(m)) if m.verified.topic() == PROBE_TOPIC => delivered += 1,
                    Some(_) => {}
                    None => panic!("event stream closed"),
                },
            }
        }
    }
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(500), lab.events.recv()).await
    {
        if matches!(event, Event::Message(_)) {
            delivered += 1;
        }
    }
    delivered
}

/// The process's peak resident memory, in KiB.
fn peak_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
