//! `payseal seal`, `payseal open` and `payseal inspect`: envelopes on stdin/stdout.

use crate::Failure;
use crate::cli::{InspectArgs, OpenArgs, SealArgs};
use crate::commands::io::{read_envelope, read_input, write_output};
use crate::commands::setup::{self, SealerSpec};
use crate::time::utc;
use payseal_rumqttc::{EnvelopeSealer, escape_text};

pub(crate) fn seal(args: &SealArgs) -> Result<(), Failure> {
    let mut sealer = setup::sealer(&SealerSpec {
        key: &args.key,
        kid: args.kid.as_deref(),
        topic: &args.topic,
        to: &args.to,
        trust: args.trust.as_deref(),
        content: &args.content,
        seq: args.seq,
        cert: args.cert.as_deref(),
        x5t: args.x5t,
    })?;
    let payload = read_input(&args.io.input)?;
    let envelope = sealer
        .seal(&args.topic, &payload)
        .map_err(|e| Failure::BadInput(format!("cannot seal: {e}")))?;
    if args.hex {
        let mut text = hex::encode(&envelope);
        text.push('\n');
        write_output(&args.io.output, text.as_bytes(), false)
    } else {
        write_output(&args.io.output, &envelope, true)
    }
}

pub(crate) fn open(args: &OpenArgs) -> Result<(), Failure> {
    setup::check_topic(&args.topic)?;
    let (mut opener, config) = setup::opener(&args.trust, &args.key, args.state.as_deref())?;
    let envelope = read_envelope(&args.io.input, args.hex)?;
    let verified = opener
        .open(&args.topic, &envelope)
        .map_err(|r| Failure::rejected(&r))?;
    if args.state.is_none() {
        eprintln!(
            "payseal: warning: no replay state is kept (no --state DIR): this envelope will be accepted again if it is opened again"
        );
    }
    if args.verbose {
        let stamp = verified
            .mac_algorithm()
            .map_or_else(|| "signed".to_owned(), |alg| format!("MAC-stamped ({alg})"));
        let encryption = verified.encryption().map_or_else(
            || stamp.clone(),
            |e| format!("{stamp} and encrypted ({:?}) to key {}", e.mode(), e.key()),
        );
        eprintln!(
            "verified: from {} on {}, seq {}, {}, {}",
            escape_text(&config.sender_label(&verified)),
            escape_text(verified.topic()),
            verified.seq(),
            utc(verified.timestamp()),
            encryption
        );
    }
    write_output(&args.io.output, verified.payload(), false)
}

pub(crate) fn inspect(args: &InspectArgs) -> Result<(), Failure> {
    let bytes = read_envelope(&args.input, args.hex)?;
    let text = if args.json {
        crate::inspect_json::inspect_json(&bytes)
    } else {
        crate::inspect::inspect(&bytes)
    }
    .map_err(Failure::BadInput)?;
    print!("{text}");
    Ok(())
}
