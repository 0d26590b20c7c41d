//! `payseal pub` and `payseal sub`: mosquitto_pub / mosquitto_sub with sealed payloads.

use std::io::{BufRead, Write};
use std::time::Duration;

use payseal_rumqttc::{
    Event, SecureClient, SecureClientV5, Security, Undelivered, escape_text, reason_code_name,
};
use rumqttc::QoS;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout_at};

use crate::Failure;
use crate::cli::{Broker, PubArgs, SubArgs};
use crate::commands::io::read_input;
use crate::commands::member_keys::GroupKeys;
use crate::commands::quarantine::Quarantine;
use crate::commands::setup::{self, SealerSpec};
use crate::commands::sub_json;

/// How long the first connection may take before the command gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a clean disconnect may take to flush what was published.
pub(crate) const FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn publish(args: &PubArgs) -> Result<(), Failure> {
    let sealer = setup::sealer(&SealerSpec {
        key: &args.key,
        kid: args.kid.as_deref(),
        topic: &args.topic,
        to: &args.to,
        trust: args.trust.as_deref(),
        content: "a128gcm",
        seq: None,
        cert: args.cert.as_deref(),
        x5t: args.x5t,
    })?;
    let messages = messages(args)?;
    let qos = qos(args.broker.qos);
    runtime()?.block_on(async {
        let (client, mut events) = Client::connect(&args.broker, Security::new().sealer(sealer))?;
        wait_connected(&mut events, &address(&args.broker)).await?;
        for message in &messages {
            client
                .publish(&args.topic, qos, args.retain, message)
                .await
                .map_err(|e| Failure::BadInput(format!("cannot publish: {e}")))?;
        }
        // mosquitto_pub waits for the QoS handshakes too: a QoS 2 message is only passed on
        // once it completes. A refusal settles its message at once.
        let outcome = client.flush(FLUSH_TIMEOUT).await;
        client.disconnect().await;
        // The event loop ends once the disconnect is written, after everything before it
        // (without waiting again for a broker that did not answer).
        if outcome.is_ok() {
            let deadline = Instant::now() + FLUSH_TIMEOUT;
            while let Ok(Some(_)) = timeout_at(deadline, events.recv()).await {}
        }
        outcome.map_err(|undelivered| publish_failure(&undelivered, messages.len()))
    })
}

pub(crate) fn subscribe(args: &SubArgs) -> Result<(), Failure> {
    let (opener, config) = setup::opener(&args.trust, &args.key, args.state.as_deref())?;
    for filter in &args.topics {
        payseal::TopicFilter::new(filter).map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let qos = qos(args.broker.qos);
    let group_keys = match (&args.member_key, &args.controller, &args.key_state) {
        (Some(key), Some(controller), Some(state)) => {
            Some(GroupKeys::open(key, controller, state)?)
        }
        // clap requires all three or none.
        _ => None,
    };
    let mut security = match &group_keys {
        Some(keys) => Security::new().opener(keys.opener(opener)),
        None => Security::new().opener(opener),
    };
    if let Some(dir) = &args.quarantine {
        security = security.on_rejected(Quarantine::open(
            dir,
            args.quarantine_max_bytes,
            args.quarantine_files,
        )?);
    }
    runtime()?.block_on(async {
        if let Some(addr) = args.metrics {
            crate::commands::metrics::serve(addr)?;
        }
        let key_client = match &group_keys {
            Some(keys) => Some(key_connection(&args.broker, keys).await?),
            None => None,
        };
        let (client, mut events) = Client::connect(&args.broker, security)?;
        wait_connected(&mut events, &address(&args.broker)).await?;
        for filter in &args.topics {
            client.subscribe(filter, qos).await?;
        }
        let deadline = args
            .timeout
            .map(|secs| Instant::now() + Duration::from_secs(secs));
        let mut delivered = 0u64;
        let mut timed_out = false;
        let stdout = std::io::stdout();
        loop {
            if args.count.is_some_and(|count| delivered >= count) {
                break;
            }
            let next = match deadline {
                Some(at) => match timeout_at(at, events.recv()).await {
                    Ok(event) => event,
                    Err(_) => {
                        timed_out = true;
                        break;
                    }
                },
                None => events.recv().await,
            };
            let Some(event) = next else {
                return Err(Failure::Network("the connection closed".into()));
            };
            match event {
                Event::Message(message) => {
                    let v = &message.verified;
                    let mut out = stdout.lock();
                    let written = if args.json {
                        let line = sub_json::message(&message, &config.name_of(v.sender()));
                        out.write_all(line.as_bytes())
                    } else if args.verbose {
                        write!(
                            out,
                            "{} [{} #{}] ",
                            escape_text(v.topic()),
                            escape_text(&config.sender_label(v)),
                            v.seq()
                        )
                        .and_then(|()| out.write_all(v.payload()))
                        .and_then(|()| out.write_all(b"\n"))
                    } else {
                        out.write_all(v.payload())
                            .and_then(|()| out.write_all(b"\n"))
                    };
                    written
                        .and_then(|()| out.flush())
                        .map_err(|e| Failure::Io(format!("cannot write to stdout: {e}")))?;
                    delivered += 1;
                }
                Event::Rejected { topic, reason } if args.json => {
                    json_line(&sub_json::rejected(&topic, &reason))?;
                }
                Event::Rejected { topic, reason } => {
                    eprintln!(
                        "rejected on {}: {} ({})",
                        escape_text(&topic),
                        reason.code(),
                        escape_text(&reason.to_string())
                    );
                }
                Event::Duplicate { topic, seq } if args.json => {
                    json_line(&sub_json::duplicate(&topic, seq))?;
                }
                Event::Duplicate { topic, seq } => {
                    let topic = escape_text(&topic);
                    eprintln!("duplicate on {topic}: seq {seq} already delivered");
                }
                Event::Disconnected { error } => {
                    eprintln!(
                        "disconnected: {}; reconnecting",
                        escape_text(&error.to_string())
                    );
                }
                Event::SubscribeRefused { filter, code } => {
                    client.disconnect().await;
                    return Err(Failure::Refused(format!(
                        "the broker refused the subscription to {}: 0x{code:02x} {}",
                        escape_text(&filter),
                        reason_code_name(code)
                    )));
                }
                _ => {}
            }
        }
        client.disconnect().await;
        if let Some(key_client) = &key_client {
            key_client.disconnect().await;
        }
        // As mosquitto_sub: -W ran out before -C verified messages arrived.
        match args.count {
            Some(wanted) if timed_out => Err(Failure::Timeout {
                secs: args.timeout.unwrap_or_default(),
                received: delivered,
                wanted,
            }),
            _ => Ok(()),
        }
    })
}

/// `sub --member-key`: a second connection (client id: `-i` with `-keys` appended) on the
/// member's key topic, whose messages reach the member through the rejection hook (it has
/// no opener). Its events are drained in the background.
async fn key_connection(broker: &Broker, keys: &GroupKeys) -> Result<Client, Failure> {
    let mut broker = broker.clone();
    broker.id = broker.id.map(|id| format!("{id}-keys"));
    let (client, mut events) = Client::connect(&broker, Security::new().on_rejected(keys.hook()))?;
    wait_connected(&mut events, &address(&broker)).await?;
    client.subscribe(keys.topic(), QoS::AtLeastOnce).await?;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    Ok(client)
}

/// Writes one `sub --json` line to stdout.
fn json_line(line: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::Io(format!("cannot write to stdout: {e}")))
}

/// What `pub` reports when the broker refused or did not confirm messages (exit 8 if any was
/// refused, else 9), on one line: the count, then each refused message with its code and the
/// broker's escaped reason string, then the unconfirmed ones.
pub(crate) fn publish_failure(undelivered: &Undelivered, total: usize) -> Failure {
    let settled = undelivered.refused.len() + undelivered.unconfirmed.len();
    let text = format!(
        "{} of {total} message(s) not delivered: {undelivered}",
        settled.min(total)
    );
    if undelivered.refused.is_empty() {
        Failure::Unconfirmed(format!(
            "{text} (waited {} s; publishing again makes new messages)",
            FLUSH_TIMEOUT.as_secs()
        ))
    } else {
        Failure::Refused(text)
    }
}

/// The messages `pub` sends, from -m, -f, -s or -l.
fn messages(args: &PubArgs) -> Result<Vec<Vec<u8>>, Failure> {
    if let Some(message) = &args.message {
        return Ok(vec![message.as_bytes().to_vec()]);
    }
    if let Some(file) = &args.file {
        return Ok(vec![read_input(file)?]);
    }
    if args.stdin_message {
        return Ok(vec![read_input(std::path::Path::new("-"))?]);
    }
    if args.lines {
        return std::io::stdin()
            .lock()
            .split(b'\n')
            .map(|line| line.map_err(|e| Failure::Io(format!("cannot read stdin: {e}"))))
            .collect();
    }
    Err(Failure::Usage(
        "nothing to publish: give one of -m, -f, -s or -l".into(),
    ))
}

fn qos(level: u8) -> QoS {
    match level {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the async runtime: {e}")))
}

/// Waits for the first CONNACK; a first connection that fails is an error, as with mosquitto.
pub(crate) async fn wait_connected(
    events: &mut mpsc::Receiver<Event>,
    what: &str,
) -> Result<(), Failure> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Connected { .. })) => return Ok(()),
            Ok(Some(Event::Disconnected { error })) => {
                return Err(Failure::Network(format!(
                    "cannot connect to {what}: {error}"
                )));
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err(Failure::Network("the connection closed".into())),
            Err(_) => {
                return Err(Failure::Network(format!(
                    "no answer from {what} within {}s",
                    CONNECT_TIMEOUT.as_secs()
                )));
            }
        }
    }
}

pub(crate) fn address(broker: &Broker) -> String {
    format!("{}:{}", broker.host, port(broker))
}

fn port(broker: &Broker) -> u16 {
    broker
        .port
        .unwrap_or(if broker.cafile.is_some() { 8883 } else { 1883 })
}

fn client_id(broker: &Broker) -> String {
    broker.id.clone().unwrap_or_else(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        format!("payseal-{}-{nanos:x}", std::process::id())
    })
}

/// MQTT 3.1.1 or 5, behind one interface.
pub(crate) enum Client {
    V4(SecureClient),
    V5(SecureClientV5),
}

impl Client {
    pub(crate) fn connect(
        broker: &Broker,
        security: Security,
    ) -> Result<(Self, mpsc::Receiver<Event>), Failure> {
        crate::commands::options::check(broker)?;
        let id = client_id(broker);
        let keepalive = Duration::from_secs(broker.keepalive.into());
        let v5 = broker.protocol.ends_with('5');
        if broker.cafile.is_some() {
            crate::commands::tls::check_available()?;
        }
        if v5 {
            let mut options = rumqttc::v5::MqttOptions::new(id, &broker.host, port(broker));
            options.set_keep_alive(keepalive);
            if let Some(user) = &broker.username {
                options.set_credentials(user, broker.pw.clone().unwrap_or_default());
            }
            if let Some(ca) = &broker.cafile {
                options.set_transport(crate::commands::tls::transport(ca, broker)?);
            }
            let (client, events) = SecureClientV5::connect(options, security);
            Ok((Client::V5(client), events))
        } else {
            let mut options = rumqttc::MqttOptions::new(id, &broker.host, port(broker));
            options.set_keep_alive(keepalive);
            if let Some(user) = &broker.username {
                options.set_credentials(user, broker.pw.clone().unwrap_or_default());
            }
            if let Some(ca) = &broker.cafile {
                options.set_transport(crate::commands::tls::transport(ca, broker)?);
            }
            let (client, events) = SecureClient::connect(options, security);
            Ok((Client::V4(client), events))
        }
    }

    pub(crate) async fn publish(
        &self,
        topic: &str,
        qos: QoS,
        retain: bool,
        payload: &[u8],
    ) -> Result<(), payseal_rumqttc::PublishError> {
        match self {
            Client::V4(c) => c.publish(topic, qos, retain, payload).await,
            Client::V5(c) => c.publish(topic, qos, retain, payload).await,
        }
    }

    pub(crate) async fn flush(&self, timeout: Duration) -> Result<(), Undelivered> {
        match self {
            Client::V4(c) => c.flush(timeout).await,
            Client::V5(c) => c.flush(timeout).await,
        }
    }

    pub(crate) async fn subscribe(&self, filter: &str, qos: QoS) -> Result<(), Failure> {
        let result = match self {
            Client::V4(c) => c.subscribe(filter, qos).await.map_err(|e| e.to_string()),
            Client::V5(c) => c.subscribe(filter, qos).await.map_err(|e| e.to_string()),
        };
        result.map_err(|e| Failure::Network(format!("cannot subscribe to {filter}: {e}")))
    }

    /// Best effort: a connection that is already gone has nothing left to flush.
    pub(crate) async fn disconnect(&self) {
        let _ = match self {
            Client::V4(c) => c.disconnect().await.map_err(|e| e.to_string()),
            Client::V5(c) => c.disconnect().await.map_err(|e| e.to_string()),
        };
    }
}
