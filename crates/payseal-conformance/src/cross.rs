//! Interop between two clients (two adapters, or two MQTT versions) through one broker:
//! what one seals, the other verifies (and decrypts).

use payseal::{Audience, KemKind, Keyring, Opener, Policy, Recipient, RecipientKey, SystemClock};
use payseal_mqtt::{QoS, Security};

use crate::support::{broker, connected, message, next, publisher, sealer, subscribe, trust};
use crate::{Adapter, Endpoint};

/// Signed messages from `P` reach `S` verified, at QoS 0, 1 and 2.
pub async fn signed<P: Adapter, S: Adapter>() {
    let broker = broker("");
    let (sub, mut events) = S::connect(
        &Endpoint::new("cross-sub", broker.port()),
        Security::new().opener(Opener::new(trust(), Policy::default(), SystemClock)),
    );
    subscribe::<S>(&sub, &mut events, "plant/#", QoS::ExactlyOnce).await;
    let (publ, mut pe) = publisher::<P>(broker.port(), "cross-pub");
    connected(&mut pe).await;
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        let payload = format!("{} to {} at {qos:?}", P::NAME, S::NAME);
        P::publish(&publ, "plant/1/flow", qos, false, payload.as_bytes())
            .await
            .unwrap();
        let m = message(next(&mut events).await);
        assert_eq!(m.verified.payload(), payload.as_bytes());
        assert_eq!(m.qos, qos);
    }
}

/// A message `P` encrypts to `S`'s HPKE key reaches `S` decrypted.
pub async fn encrypted<P: Adapter, S: Adapter>() {
    let broker = broker("");
    let key = RecipientKey::from_secret_bytes(KemKind::X25519, &[42; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add_recipient_key(key.clone()).unwrap();
    let opener = Opener::new(trust(), Policy::default(), SystemClock).with_keyring(keyring);
    let (sub, mut events) = S::connect(
        &Endpoint::new("cross-sub", broker.port()),
        Security::new().opener(opener),
    );
    subscribe::<S>(&sub, &mut events, "plant/#", QoS::AtLeastOnce).await;
    let audience = Audience::recipients([Recipient::new(key.public_key())]).unwrap();
    let sealer = sealer().with_audience("plant/+/secret", audience).unwrap();
    let (publ, mut pe) = P::connect(
        &Endpoint::new("cross-pub", broker.port()),
        Security::new().sealer(sealer),
    );
    connected(&mut pe).await;
    P::publish(
        &publ,
        "plant/1/secret",
        QoS::AtLeastOnce,
        false,
        b"door code 4711",
    )
    .await
    .unwrap();
    let m = message(next(&mut events).await);
    assert_eq!(m.verified.payload(), b"door code 4711");
    assert!(m.verified.encryption().is_some(), "it was encrypted");
}
