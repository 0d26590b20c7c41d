//! What the adapters count, through the [`metrics`] facade: nothing is recorded until the
//! application installs a recorder (an exporter such as `metrics-exporter-prometheus`), and
//! the libraries install none. Both adapters count in the one shared place where incoming
//! messages are judged, so their numbers mean the same.
//!
//! | name | kind | labels | what |
//! | --- | --- | --- | --- |
//! | [`ACCEPTED`] | counter | | verified messages delivered to the application |
//! | [`REJECTED`] | counter | `reason` (the stable reason code) | every refused message, `not_for_me` and `store_unavailable` included |
//! | [`DUPLICATES`] | counter | | authentic repeats of delivered messages (not refusals) |
//! | [`NOT_FOR_ME`] | counter | | authentic messages encrypted to other recipients (also in [`REJECTED`]) |
//! | [`STORE_OUTAGES`] | counter | | messages that could not be judged because the replay store failed (also in [`REJECTED`]) |
//! | [`VERIFY_SECONDS`] | histogram | | time to open one envelope (signature, decryption, replay check) |

use std::time::Duration;

use payseal::Rejection;

use crate::event::Event;

/// Counter: verified messages delivered to the application.
pub const ACCEPTED: &str = "payseal_messages_accepted_total";
/// Counter, label `reason`: refused messages by stable reason code.
pub const REJECTED: &str = "payseal_messages_rejected_total";
/// Counter: duplicates of messages already delivered.
pub const DUPLICATES: &str = "payseal_messages_duplicate_total";
/// Counter: authentic messages not encrypted to this receiver.
pub const NOT_FOR_ME: &str = "payseal_messages_not_for_me_total";
/// Counter: messages left unjudged by a replay store outage.
pub const STORE_OUTAGES: &str = "payseal_store_outages_total";
/// Histogram, seconds: time to open one envelope.
pub const VERIFY_SECONDS: &str = "payseal_verify_seconds";

/// Describes every metric above to the installed recorder (units and help text), and
/// registers the unlabelled counters at zero so that they are scraped before the first
/// message. Call it once after installing an exporter; counting works without it.
///
/// ```
/// payseal_mqtt::metrics::describe();
/// ```
pub fn describe() {
    metrics::describe_counter!(ACCEPTED, "verified messages delivered to the application");
    metrics::describe_counter!(REJECTED, "refused messages, by stable reason code");
    metrics::describe_counter!(DUPLICATES, "repeats of messages already delivered");
    metrics::describe_counter!(
        NOT_FOR_ME,
        "authentic messages encrypted to other recipients"
    );
    metrics::describe_counter!(
        STORE_OUTAGES,
        "messages not judged: the replay store failed"
    );
    metrics::describe_histogram!(
        VERIFY_SECONDS,
        metrics::Unit::Seconds,
        "time to open one envelope"
    );
    for counter in [ACCEPTED, DUPLICATES, NOT_FOR_ME, STORE_OUTAGES] {
        metrics::counter!(counter).increment(0);
    }
}

/// Counts one judged message; `opened` is how long opening took when the envelope was
/// opened at all (not for topics refused before it).
pub(crate) fn record(event: &Event, opened: Option<Duration>) {
    if let Some(elapsed) = opened {
        metrics::histogram!(VERIFY_SECONDS).record(elapsed.as_secs_f64());
    }
    match event {
        Event::Message(_) => metrics::counter!(ACCEPTED).increment(1),
        Event::Duplicate { .. } => metrics::counter!(DUPLICATES).increment(1),
        Event::Rejected { reason, .. } => {
            metrics::counter!(REJECTED, "reason" => reason.code()).increment(1);
            match reason {
                Rejection::NotForMe => metrics::counter!(NOT_FOR_ME).increment(1),
                Rejection::StoreUnavailable { .. } => {
                    metrics::counter!(STORE_OUTAGES).increment(1);
                }
                _ => {}
            }
        }
        _ => {}
    }
}
