//! Issue 16 item 20: paho-mqtt's builders and calls panic (`CString::new(..).unwrap()`) on a
//! NUL byte in a user name or a topic filter. The adapter refuses such values with an error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use payseal_paho::{Event, MqttOptions, QoS, SecureClient, SecureClientV5, Security};
use payseal_testkit::Mosquitto;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_in_user_name_or_filter_is_an_error_not_a_panic() {
    let broker = Mosquitto::start().expect("mosquitto must start");
    let mut options = MqttOptions::new("guard-user", "127.0.0.1", broker.port());
    options.set_credentials("fleet\0admin", "pw");
    assert!(SecureClient::connect(options.clone(), Security::new()).is_err());
    assert!(SecureClientV5::connect(options, Security::new()).is_err());

    let options = MqttOptions::new("guard-filter", "127.0.0.1", broker.port());
    let (client, mut events) = SecureClient::connect(options, Security::new()).unwrap();
    // Before connecting (the filter would be remembered and subscribed later) ...
    assert!(
        client
            .subscribe("plant/\0", QoS::AtLeastOnce)
            .await
            .is_err()
    );
    let connected = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::Connected { .. }) {
                return;
            }
        }
    });
    connected.await.expect("connects");
    // ... and once connected.
    assert!(
        client
            .subscribe("plant/\0", QoS::AtLeastOnce)
            .await
            .is_err()
    );
    assert!(client.unsubscribe("plant/\0/#").await.is_err());
    client.subscribe("plant/#", QoS::AtLeastOnce).await.unwrap();
    client.disconnect().await.unwrap();
}
