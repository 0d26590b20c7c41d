//! Key updates in process: forged updates change nothing, and a controller that dies at any
//! point of a rotation converges on one epoch after a restart, without reusing a key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Device, GROUP, clock, open_controller, scratch, signer};
use payseal::Rejection;
use payseal_keys::{Controller, ControllerConfig, KeysError, Publish};

fn deliver(device: &mut Device, publishes: &[Publish]) {
    let mine = device.member.key_topic().to_string();
    for p in publishes.iter().filter(|p| p.topic == mine) {
        device.handle(&p.topic, &p.payload);
    }
}

fn config() -> ControllerConfig {
    ControllerConfig {
        grace_secs: 30,
        handover_secs: 2,
        ..ControllerConfig::default()
    }
}

#[test]
fn forged_updates_are_refused_and_change_nothing() {
    let dir = scratch("forged");
    let clock = clock();
    let mut controller = open_controller(&dir, clock, config());
    controller.create_group(GROUP).unwrap();
    let mut a = Device::new("a", 1, &dir, clock, &[1, 2]);
    let mut b = Device::new("b", 2, &dir, clock, &[1, 2]);
    let first_a = controller.add_member(GROUP, a.public()).unwrap();
    let first_b = controller.add_member(GROUP, b.public()).unwrap();
    deliver(&mut a, &first_a);
    deliver(&mut b, &first_b);
    // An update A never receives (lost), then a newer one it does.
    let older = controller.republish().unwrap();
    let rotation = controller.rotate(GROUP).unwrap();
    deliver(&mut a, &rotation);
    let applied = a.member.applied();
    let held = |d: &Device| {
        d.member
            .group(GROUP)
            .map(|g| g.epochs().map(|(e, ..)| e).collect::<Vec<_>>())
    };
    let before = held(&a);
    assert_eq!(before, Some(vec![1, 2]));

    // 1. Wrong signer: another "controller" on A's topic.
    let mut rogue = Controller::open(
        dir.join("rogue.state"),
        signer(201),
        clock,
        ControllerConfig::default(),
    )
    .unwrap();
    rogue.create_group(GROUP).unwrap();
    let forged = rogue.add_member(GROUP, a.public()).unwrap();
    let err = a.member.handle(&forged[0].topic, &forged[0].payload);
    assert!(
        matches!(err, Err(KeysError::Refused(Rejection::UnknownSender))),
        "{err:?}"
    );

    // 2. An older update delivered after a newer one (a broker holding one back).
    let older_a = older
        .iter()
        .find(|p| p.topic == a.member.key_topic())
        .unwrap();
    let err = a.member.handle(&older_a.topic, &older_a.payload);
    assert!(matches!(err, Err(KeysError::OldUpdate { .. })), "{err:?}");
    // ... and A's first update replayed: already seen, nothing changes.
    let again = a.member.handle(&first_a[0].topic, &first_a[0].payload);
    assert!(
        matches!(again, Ok(payseal_keys::Applied::Duplicate)),
        "{again:?}"
    );

    // 3. B's update moved to A's topic: the signature covers the topic.
    let topic_a = a.member.key_topic().to_string();
    let err = a.member.handle(&topic_a, &first_b[0].payload);
    assert!(
        matches!(err, Err(KeysError::Refused(Rejection::BadSignature))),
        "{err:?}"
    );

    // 4. The same envelope again (a retained redelivery): a duplicate, nothing changes.
    let again = a.member.handle(&rotation[0].topic, &rotation[0].payload);
    assert!(
        matches!(again, Ok(payseal_keys::Applied::Duplicate)),
        "{again:?}"
    );

    assert_eq!(a.member.applied(), applied);
    assert_eq!(held(&a), before);
    // And on disk: a restart loads the same state.
    drop(a);
    let a = Device::new("a", 1, &dir, clock, &[1, 2]);
    assert_eq!(a.member.applied(), applied);
    assert_eq!(held(&a), before);
}

/// Kills the controller (drops it without publishing) after each persisted step of a
/// rotation, restarts it from its file, and checks that the members converge and that an
/// epoch number keeps its one secret.
#[test]
fn a_controller_restarted_mid_rotation_converges_without_reusing_a_key() {
    let dir = scratch("restart");
    let clock = clock();
    let mut controller = open_controller(&dir, clock, config());
    controller.create_group(GROUP).unwrap();
    let mut a = Device::new("a", 1, &dir, clock, &[1, 2]);
    let mut b = Device::new("b", 2, &dir, clock, &[1, 2]);
    let p = controller.add_member(GROUP, a.public()).unwrap();
    deliver(&mut a, &p);
    let p = controller.add_member(GROUP, b.public()).unwrap();
    deliver(&mut b, &p);

    // Dies after persisting the pending epoch, before publishing it.
    let _lost = controller.rotate(GROUP).unwrap();
    let secret_2 = controller
        .group(GROUP)
        .unwrap()
        .key(2)
        .unwrap()
        .expose_secret()
        .to_vec();
    drop(controller);
    let mut controller = open_controller(&dir, clock, config());
    assert_eq!(
        controller
            .group(GROUP)
            .unwrap()
            .key(2)
            .unwrap()
            .expose_secret(),
        &secret_2[..],
        "epoch 2 must keep the secret persisted before the crash"
    );
    let p = controller.republish().unwrap();
    deliver(&mut a, &p);
    deliver(&mut b, &p);
    assert!(a.holds(2) && b.holds(2));

    // Dies after persisting the switch, before publishing it.
    clock.advance(2);
    let _lost = controller.tick().unwrap();
    drop(controller);
    let mut controller = open_controller(&dir, clock, config());
    assert_eq!(controller.status()[0].current, 2);
    let p = controller.republish().unwrap();
    deliver(&mut a, &p);
    deliver(&mut b, &p);
    assert_eq!((a.epoch(), b.epoch()), (Some(2), Some(2)));
    // A rotation with a member removed while the next epoch is pending: abandoned epoch 3
    // is never reused, the new one is above it.
    let _ = controller.rotate(GROUP).unwrap();
    let kid_b = b.member.kid().clone();
    let p = controller.remove_member(GROUP, &kid_b).unwrap();
    assert!(
        p.iter()
            .any(|p| p.topic == b.member.key_topic() && p.payload.is_empty())
    );
    assert_eq!(controller.status()[0].pending.map(|(e, _)| e), Some(4));
    drop(controller);
    let controller = open_controller(&dir, clock, config());
    let group = controller.group(GROUP).unwrap();
    let secrets: Vec<_> = group
        .epochs()
        .map(|(_, k, _)| k.expose_secret().to_vec())
        .collect();
    let distinct: std::collections::BTreeSet<_> = secrets.iter().collect();
    assert_eq!(distinct.len(), secrets.len(), "a key was reused");
    assert!(group.key(3).is_none(), "the abandoned epoch is forgotten");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("controller.state"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the controller state holds secrets");
    }
}

#[test]
fn the_controller_key_rolls_over_with_an_overlap() {
    use payseal::KeyValidity;
    let dir = scratch("controller-roll");
    let clock = clock();
    let (old, new) = (signer(200), signer(210));
    let roll_at = common::NOW + 3_600;
    let overlap_ends = roll_at + 600;
    let mut member = payseal_keys::Member::open(
        dir.join("member.state"),
        common::recipient(1),
        [old.verifying_key(), new.verifying_key()],
        clock,
    )
    .unwrap();
    member
        .set_controller_validity(&old.kid(), KeyValidity::always().until(overlap_ends))
        .unwrap();
    member
        .set_controller_validity(&new.kid(), KeyValidity::always().from(roll_at))
        .unwrap();
    let public = common::recipient(1).public_key();
    let mine = member.key_topic().to_string();
    let deliver = |member: &mut payseal_keys::Member<_>, publishes: &[Publish]| {
        let mut outcomes = Vec::new();
        for p in publishes.iter().filter(|p| p.topic == mine) {
            outcomes.push(member.handle(&p.topic, &p.payload).map(|_| ()));
        }
        outcomes
    };
    let open = |key: payseal::SigningKey| {
        Controller::open(dir.join("controller.state"), key, clock, config()).unwrap()
    };

    // Before the roll: the old key's updates apply; the new key is not valid yet.
    let mut controller = open(signer(200));
    controller.create_group(GROUP).unwrap();
    let added = controller.add_member(GROUP, public.clone()).unwrap();
    assert!(deliver(&mut member, &added).iter().all(Result::is_ok));
    drop(controller);
    let early = open(signer(210)).rotate(GROUP).unwrap();
    let refused = deliver(&mut member, &early);
    assert!(
        matches!(
            refused[..],
            [Err(KeysError::Refused(Rejection::KeyNotYetValid))]
        ),
        "{refused:?}"
    );
    assert_eq!(member.applied(), 1);

    // During the overlap, the restarted controller signs with the new key: accepted.
    clock.set(roll_at + 10);
    let mut controller = open(signer(210));
    let republished = controller.republish().unwrap();
    let rotated = controller.rotate(GROUP).unwrap();
    assert!(
        deliver(&mut member, &[republished, rotated].concat())
            .iter()
            .all(Result::is_ok)
    );
    let applied = member.applied();
    assert!(applied > 1);
    drop(controller);

    // After the overlap, an update signed by the old key (a stale controller) is refused.
    clock.set(overlap_ends + 1);
    let stale = open(signer(200)).rotate(GROUP).unwrap();
    let refused = deliver(&mut member, &stale);
    assert!(
        matches!(
            refused[..],
            [Err(KeysError::Refused(Rejection::KeyExpired))]
        ),
        "{refused:?}"
    );
    assert_eq!(member.applied(), applied);
    let _ = std::fs::remove_dir_all(&dir);
}
