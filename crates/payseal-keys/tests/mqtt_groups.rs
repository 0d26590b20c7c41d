//! Acceptance tests of issue 19 against a real Mosquitto started by each test: rekey on member
//! removal, rotation under load, offline catch-up from retained updates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{DATA, Device, GROUP, Peer, broker, clock, open_controller, pump_until, scratch};
use payseal::Rejection;
use payseal_keys::ControllerConfig;

const HANDOVER: u64 = 2;
const GRACE: u64 = 30;

fn config() -> ControllerConfig {
    ControllerConfig {
        grace_secs: GRACE,
        handover_secs: HANDOVER,
        ..ControllerConfig::default()
    }
}

#[test]
fn a_removed_member_reads_nothing_sealed_after_the_switch() {
    let broker = broker();
    let dir = scratch("remove");
    let clock = clock();
    let mut controller = open_controller(&dir, clock, config());
    let ctl = Peer::connect(&broker, "controller", &[]);
    controller.create_group(GROUP).unwrap();
    let senders = [1, 2, 3];
    let mut a = Device::new("a", 1, &dir, clock, &senders);
    let mut b = Device::new("b", 2, &dir, clock, &senders);
    let mut c = Device::new("c", 3, &dir, clock, &senders);
    for d in [&mut a, &mut b, &mut c] {
        d.connect(&broker);
        ctl.publish_all(controller.add_member(GROUP, d.public()).unwrap());
    }
    pump_until(
        &mut [&mut a, &mut b, &mut c],
        "every member at epoch 1",
        |ds| ds.iter().all(|d| d.epoch() == Some(1)),
    );

    // Before: everyone reads everyone.
    a.send(b"a-before");
    c.send(b"c-before");
    pump_until(&mut [&mut a, &mut b, &mut c], "2 messages each", |ds| {
        ds.iter().all(|d| d.accepted.len() == 2)
    });

    // Remove C: the next epoch goes to A and B only; then the switch.
    let c_kid = c.member.kid().clone();
    ctl.publish_all(controller.remove_member(GROUP, &c_kid).unwrap());
    pump_until(
        &mut [&mut a, &mut b, &mut c],
        "A and B hold epoch 2",
        |ds| ds[0].holds(2) && ds[1].holds(2),
    );
    assert!(!c.holds(2), "the removed member got the new epoch");
    clock.advance(HANDOVER);
    ctl.publish_all(controller.tick().unwrap());
    pump_until(&mut [&mut a, &mut b], "A and B switched", |ds| {
        ds.iter().all(|d| d.epoch() == Some(2))
    });

    // After: A and B lose nothing; C can decrypt none of it.
    for i in 0..10 {
        a.send(format!("a-after-{i}").as_bytes());
        b.send(format!("b-after-{i}").as_bytes());
    }
    pump_until(&mut [&mut a, &mut b, &mut c], "20 new messages", |ds| {
        ds[0].accepted.len() == 22 && ds[1].accepted.len() == 22 && ds[2].refused.len() == 20
    });
    assert_eq!(c.accepted.len(), 2);
    assert!(
        c.refused
            .iter()
            .all(|r| matches!(r, Rejection::NotForMe | Rejection::DecryptFailed)),
        "{:?}",
        c.refused
    );
    assert!(a.refused.is_empty() && b.refused.is_empty());
    assert_eq!(controller.status()[0].members.len(), 2);
}

#[test]
fn five_rotations_under_load_lose_nothing() {
    let broker = broker();
    let dir = scratch("load");
    let clock = clock();
    let mut controller = open_controller(&dir, clock, config());
    let ctl = Peer::connect(&broker, "controller", &[]);
    controller.create_group(GROUP).unwrap();
    let senders = [1, 2];
    let mut publisher = Device::new("publisher", 1, &dir, clock, &senders);
    let mut reader = Device::new("reader", 2, &dir, clock, &senders);
    for d in [&mut publisher, &mut reader] {
        d.connect(&broker);
        ctl.publish_all(controller.add_member(GROUP, d.public()).unwrap());
    }
    pump_until(&mut [&mut publisher, &mut reader], "epoch 1", |ds| {
        ds.iter().all(|d| d.epoch() == Some(1))
    });

    const PER_PHASE: usize = 40;
    let mut sent = 0usize;
    let mut send_some = |p: &mut Device, r: &mut Device, n: usize| {
        for _ in 0..n {
            p.send(format!("m{sent}").as_bytes());
            sent += 1;
            // Both keep handling what arrives (key updates included) while the load runs.
            p.pump(Duration::from_millis(1));
            r.pump(Duration::from_millis(1));
        }
    };
    for rotation in 0..5u32 {
        send_some(&mut publisher, &mut reader, PER_PHASE);
        ctl.publish_all(controller.rotate(GROUP).unwrap());
        send_some(&mut publisher, &mut reader, PER_PHASE);
        clock.advance(HANDOVER);
        ctl.publish_all(controller.tick().unwrap());
        send_some(&mut publisher, &mut reader, PER_PHASE);
        assert_eq!(controller.status()[0].current, rotation + 2);
    }
    let total = sent;
    pump_until(&mut [&mut publisher, &mut reader], "every message", |ds| {
        ds[1].accepted.len() + ds[1].refused.len() >= total
    });
    reader.pump(Duration::from_millis(300));
    let distinct: BTreeSet<_> = reader.accepted.iter().collect();
    let undecryptable: Vec<_> = reader
        .refused
        .iter()
        .filter(|r| !matches!(r, Rejection::Replayed { .. }))
        .collect();
    assert_eq!(
        undecryptable,
        Vec::<&Rejection>::new(),
        "undecryptable messages"
    );
    assert_eq!(distinct.len(), total, "messages lost");
    assert_eq!(reader.epoch(), Some(6));
    assert_eq!(publisher.epoch(), Some(6));
    eprintln!(
        "rotation under load: {total} sent, {} accepted, 0 lost, 0 undecryptable",
        distinct.len()
    );
}

#[test]
fn an_offline_member_catches_up_from_retained_updates() {
    let broker = broker();
    let dir = scratch("offline");
    let clock = clock();
    let mut controller = open_controller(&dir, clock, config());
    let ctl = Peer::connect(&broker, "controller", &[]);
    controller.create_group(GROUP).unwrap();
    let senders = [1, 4];
    let mut a = Device::new("a", 1, &dir, clock, &senders);
    let mut d = Device::new("d", 4, &dir, clock, &senders);
    for dev in [&mut a, &mut d] {
        dev.connect(&broker);
        ctl.publish_all(controller.add_member(GROUP, dev.public()).unwrap());
    }
    pump_until(&mut [&mut a, &mut d], "epoch 1", |ds| {
        ds.iter().all(|d| d.epoch() == Some(1))
    });
    d.disconnect();

    // Two rotations while D is away; the grace ends too.
    for _ in 0..2 {
        ctl.publish_all(controller.rotate(GROUP).unwrap());
        clock.advance(HANDOVER);
        ctl.publish_all(controller.tick().unwrap());
        pump_until(&mut [&mut a], "A switched", |ds| {
            ds[0].epoch() == controller.status().first().map(|s| s.current)
        });
    }
    clock.advance(GRACE + 1);
    assert_eq!(a.epoch(), Some(3));
    assert_eq!(d.epoch(), Some(1));

    // D restarts from its state file, reconnects, gets its retained update, and reads.
    drop(d);
    let mut d = Device::new("d", 4, &dir, clock, &senders);
    assert_eq!(d.epoch(), Some(1), "state survived the restart");
    d.connect(&broker);
    pump_until(&mut [&mut d], "D caught up", |ds| ds[0].epoch() == Some(3));
    d.install();
    a.send(b"after catch-up");
    pump_until(&mut [&mut a, &mut d], "D reads", |ds| {
        !ds[1].accepted.is_empty()
    });
    assert_eq!(d.accepted, vec![b"after catch-up".to_vec()]);
    assert!(d.refused.is_empty());
    let _ = DATA;
}
