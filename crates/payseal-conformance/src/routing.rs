//! Only messages matching an active subscription reach the application: a broker that routes
//! an authentic message on a topic the application never subscribed to gets it refused with
//! `not_subscribed`, before the envelope is opened.

use std::time::Duration;

use payseal_mqtt::{Event, QoS, Security};

use crate::support::{broker, connected, opener, publisher};
use crate::{Adapter, Endpoint};

/// Subscribed to `plant/3/temp` (and to `plant/4/#` through a shared subscription) only, the
/// dashboard still gets `plant/3/cmd` from the broker: an earlier run with the same client id
/// subscribed to it in the persistent session, which the broker keeps, as a malicious broker
/// could route it anyway. The authentic `plant/3/cmd` message is refused as `not_subscribed`;
/// the others, the one matched through `$share/{group}/` included, are delivered.
pub async fn messages_on_unsubscribed_topics_are_not_delivered<A: Adapter>() {
    let broker = broker("");
    let endpoint = Endpoint::new("dashboard-routing", broker.port()).persistent();
    {
        // The earlier run: subscribed to the commands too, then left (the session stays).
        let (earlier, mut events) = A::connect(&endpoint, Security::new().opener(opener()));
        connected(&mut events).await;
        A::subscribe(&earlier, "plant/3/cmd", QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        A::disconnect(&earlier).await.expect("disconnect");
    }
    let (dashboard, mut events) = A::connect(&endpoint, Security::new().opener(opener()));
    connected(&mut events).await;
    A::subscribe(&dashboard, "plant/3/temp", QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    A::subscribe(&dashboard, "$share/dashboards/plant/4/#", QoS::AtLeastOnce)
        .await
        .expect("shared subscribe");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (sensor, mut sensor_events) = publisher::<A>(broker.port(), "sensor-routing");
    connected(&mut sensor_events).await;
    for (topic, payload) in [
        ("plant/3/cmd", &b"OPEN_VALVE"[..]),
        ("plant/3/temp", b"21.5"),
        ("plant/4/level", b"7"),
    ] {
        A::publish(&sensor, topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
    }

    let mut delivered = Vec::new();
    let mut refused = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
        match event {
            Event::Message(m) => delivered.push(m.verified.topic().to_string()),
            Event::Rejected { topic, reason } => refused.push((topic, reason.code())),
            Event::Duplicate { topic, .. } => refused.push((topic, "duplicate")),
            _ => {}
        }
        if delivered.len() + refused.len() == 3 {
            break;
        }
    }
    delivered.sort();
    assert_eq!(
        delivered,
        ["plant/3/temp", "plant/4/level"],
        "{}: delivered {delivered:?}, refused {refused:?}",
        A::NAME
    );
    assert_eq!(
        refused,
        [("plant/3/cmd".to_string(), "not_subscribed")],
        "{}",
        A::NAME
    );
}
