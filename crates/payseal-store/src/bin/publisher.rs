//! A publisher process for the crash test: seals with a [`FileSeqStore`] and publishes
//! `--count` messages (`"<run> <index>"`) through payseal-rumqttc, printing `sent <index>`
//! after each one; the test kills it with SIGKILL mid-stream and starts it again.
//!
//! ```text
//! payseal-store-publisher --port 1883 --topic t/x --seed 1 --seq-file s.seq --ahead 64 \
//!     --run 1 --count 1000 --client-id pub-1 [--host 127.0.0.1]
//! ```

mod common;

use std::process::ExitCode;
use std::time::Duration;

use payseal::{Sealer, SystemClock};
use payseal_rumqttc::{Event, MqttOptions, QoS, SecureClient, Security};
use payseal_store::FileSeqStore;

use common::{Args, say, test_key};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("publisher: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse()?;
    let topic = args.get("topic")?;
    let run = args.get("run")?;
    let count: u64 = args.num("count")?;
    let seq =
        FileSeqStore::open(args.get("seq-file")?, args.num("ahead")?).map_err(|e| e.to_string())?;
    say(&format!("resuming at {}", seq.peek()));
    let sealer = Sealer::new(test_key(args.num("seed")?)?, seq, SystemClock);

    let mut options = MqttOptions::new(
        args.get("client-id")?,
        args.get_or("host", "127.0.0.1"),
        args.num("port")?,
    );
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = SecureClient::connect(options, Security::new().sealer(sealer));
    loop {
        match events.recv().await {
            Some(Event::Connected { .. }) => break,
            Some(Event::Disconnected { error }) => eprintln!("publisher: {error}"),
            Some(_) => {}
            None => return Err("event loop ended before connecting".into()),
        }
    }
    // Keep consuming events: the event loop runs only while its stream is read.
    let events = tokio::spawn(async move { while events.recv().await.is_some() {} });
    for i in 0..count {
        client
            .publish(
                topic,
                QoS::AtLeastOnce,
                false,
                format!("{run} {i}").as_bytes(),
            )
            .await
            .map_err(|e| e.to_string())?;
        say(&format!("sent {i}"));
    }
    // DISCONNECT goes after every queued publish; the event loop ends once it is sent.
    client.disconnect().await.map_err(|e| e.to_string())?;
    events.await.map_err(|e| e.to_string())?;
    say("done");
    Ok(())
}
