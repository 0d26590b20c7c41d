//! `Opener`: the receiver. `open(topic, data)` returns a `Verified` only if every check of
//! spec/envelope.md §5 passes, else raises `Rejected` with the reason code.

use std::path::PathBuf;
use std::sync::Mutex;

use payseal::{Keyring, MemoryReplayStore, MessageKind, ReplayStore, replay_window_key};
use payseal_cli::config::TrustConfig;
use payseal_store::FileReplayStore;
use payseal_x509::{DenyList, X509Resolver};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::buf::{Bytes, OwnedBytes};
use crate::clock::{AnyClock, ManualClock};
use crate::epochs::GroupEpochs;
use crate::errors;
use crate::keys::{GroupKey, RecipientKey, kid_arg};
use crate::policy::Policy;
use crate::replay::{SharedReplay, Store};
use crate::resolver::Resolver;
use crate::trust::TrustStore;
use crate::verified::Verified;

/// The core opener, as the bindings build it.
pub(crate) type CoreOpener = payseal::Opener<SharedReplay, AnyClock, Resolver>;

/// A receiver: whom it trusts, its policy, its decryption keys and its replay state.
///
/// Safe to share between threads: calls are serialized, and the GIL is released while an
/// envelope is checked.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct Opener {
    inner: Mutex<Option<CoreOpener>>,
    replay: SharedReplay,
}

pub(crate) fn kind_arg(kind: &str) -> PyResult<MessageKind> {
    match kind {
        "live" => Ok(MessageKind::Live),
        "retained" => Ok(MessageKind::Retained),
        "will" => Ok(MessageKind::Will),
        other => Err(PyValueError::new_err(format!(
            "unknown message kind {other:?} (live, retained or will)"
        ))),
    }
}

fn replay_store(state: Option<PathBuf>, policy: &payseal::Policy) -> PyResult<SharedReplay> {
    let store = match state {
        Some(dir) => {
            Store::File(FileReplayStore::open(dir, policy.window()).map_err(|e| errors::store(&e))?)
        }
        None => Store::Memory(MemoryReplayStore::new(policy.window())),
    };
    Ok(SharedReplay::new(store))
}

/// Decryption keys (recipient and group keys) and the topics that must arrive encrypted.
fn keyring(keys: Vec<Bound<'_, PyAny>>, require_encryption: Vec<String>) -> PyResult<Keyring> {
    let mut keyring = Keyring::new();
    for key in keys {
        if let Ok(k) = key.cast::<RecipientKey>() {
            keyring
                .add_recipient_key(k.get().0.clone())
                .map_err(errors::config)?;
        } else if let Ok(k) = key.cast::<GroupKey>() {
            keyring
                .add_group_key(k.get().0.clone())
                .map_err(errors::config)?;
        } else if let Ok(epochs) = key.cast::<GroupEpochs>() {
            keyring.set_group_epochs(epochs.try_borrow()?.0.clone());
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "decryption keys must be RecipientKey, GroupKey or GroupEpochs",
            ));
        }
    }
    for filter in &require_encryption {
        keyring.require_encryption(filter).map_err(errors::config)?;
    }
    Ok(keyring)
}

impl Opener {
    fn build(
        resolver: Resolver,
        policy: payseal::Policy,
        keyring: Keyring,
        state: Option<PathBuf>,
        clock: Option<&ManualClock>,
    ) -> PyResult<Self> {
        let replay = replay_store(state, &policy)?;
        let inner = payseal::Opener::with_replay_store(
            resolver,
            replay.clone(),
            policy,
            AnyClock::from_arg(clock),
        )
        .with_keyring(keyring);
        Ok(Opener {
            inner: Mutex::new(Some(inner)),
            replay,
        })
    }

    /// Moves the core opener out (into a `Receiver`); this object is unusable afterwards.
    pub(crate) fn take(&self) -> PyResult<CoreOpener> {
        self.inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("opener lock poisoned"))?
            .take()
            .ok_or_else(moved)
    }
}

fn moved() -> PyErr {
    PyRuntimeError::new_err("this Opener was moved into a Receiver; use the Receiver")
}

#[pymethods]
impl Opener {
    /// A receiver trusting the senders in `trust`. `keys`: RecipientKey/GroupKey/GroupEpochs
    /// objects to decrypt with; `require_encryption`: topic filters on which signed-only envelopes are
    /// refused; `state`: a directory for durable replay windows (like the CLI's `--state`);
    /// `clock`: a ManualClock (default: the system clock).
    #[new]
    #[pyo3(signature = (trust, *, policy = None, keys = Vec::new(), require_encryption = Vec::new(),
                        state = None, clock = None))]
    fn new(
        trust: &TrustStore,
        policy: Option<&Policy>,
        keys: Vec<Bound<'_, PyAny>>,
        require_encryption: Vec<String>,
        state: Option<PathBuf>,
        clock: Option<&ManualClock>,
    ) -> PyResult<Self> {
        let policy = policy.map(|p| p.0).unwrap_or_default();
        let keyring = keyring(keys, require_encryption)?;
        Self::build(
            Resolver::Trust(trust.0.clone()),
            policy,
            keyring,
            state,
            clock,
        )
    }

    /// A receiver configured by a trust file: the same TOML as the CLI's `--trust`
    /// (docs/trust-config.md): senders, policy, decryption keys, required encryption.
    #[staticmethod]
    #[pyo3(signature = (path, *, state = None, clock = None))]
    fn from_trust_file(
        path: PathBuf,
        state: Option<PathBuf>,
        clock: Option<&ManualClock>,
    ) -> PyResult<Self> {
        let config = TrustConfig::read(&path).map_err(|e| {
            if e.unreadable {
                pyo3::exceptions::PyOSError::new_err(e.to_string())
            } else {
                errors::config(e)
            }
        })?;
        // Certificate senders need the X.509 resolver: refuse rather than open with the
        // static keys alone (which would reject every certificate sender as unknown).
        if let Some(ca) = config.cas.first() {
            return Err(errors::config(format!(
                "{}: [[ca]] entry {:?}: certificate senders from a trust file are not supported here yet; use Opener.x509",
                path.display(),
                ca.name
            )));
        }
        Self::build(
            Resolver::Trust(config.trust),
            config.policy,
            config.keyring,
            state,
            clock,
        )
    }

    /// A receiver trusting senders by X.509 certificate (sent in the envelope's x5chain):
    /// `anchors` are DER trust anchors, `deny_list` the text of a deny list
    /// (`sha256:<hex>` / `serial:<hex>` lines). Topic rights come from the leaf's
    /// `mqtt-topic:` subjectAltNames.
    #[staticmethod]
    #[pyo3(signature = (anchors, *, deny_list = None, policy = None, keys = Vec::new(),
                        require_encryption = Vec::new(), state = None, clock = None))]
    fn x509(
        anchors: Vec<OwnedBytes>,
        deny_list: Option<&str>,
        policy: Option<&Policy>,
        keys: Vec<Bound<'_, PyAny>>,
        require_encryption: Vec<String>,
        state: Option<PathBuf>,
        clock: Option<&ManualClock>,
    ) -> PyResult<Self> {
        let mut resolver =
            X509Resolver::new(anchors.iter().map(|a| a.0.as_slice())).map_err(errors::config)?;
        if let Some(text) = deny_list {
            resolver = resolver.with_deny_list(DenyList::parse(text).map_err(errors::config)?);
        }
        let policy = policy.map(|p| p.0).unwrap_or_default();
        let keyring = keyring(keys, require_encryption)?;
        Self::build(
            Resolver::X509(Box::new(resolver)),
            policy,
            keyring,
            state,
            clock,
        )
    }

    /// Opens `data` received on `topic`. Returns the verified message, or raises
    /// `Rejected` (`.code`, `.is_alarm`). The GIL is released during the checks.
    fn open(&self, py: Python<'_>, topic: &str, data: Bytes<'_>) -> PyResult<Verified> {
        let data = data.as_slice();
        let outcome = py.detach(|| {
            let mut guard = self.inner.lock().map_err(|_| None)?;
            let opener = guard.as_mut().ok_or(None)?;
            opener.open(topic, data).map_err(Some)
        });
        match outcome {
            Ok(verified) => Ok(Verified::from(verified)),
            Err(Some(rejection)) => Err(errors::rejected(&rejection)),
            Err(None) => Err(moved()),
        }
    }

    /// Installs (or replaces, in one step) the epoch keys of `epochs`' group
    /// (spec/key-management.md §2): a key update (an epoch handed ahead, a switch) is
    /// applied whole. The opener keeps a copy.
    fn set_group_epochs(&self, epochs: PyRef<'_, GroupEpochs>) -> PyResult<()> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("opener lock poisoned"))?;
        let opener = guard.as_mut().ok_or_else(moved)?;
        opener.keyring_mut().set_group_epochs(epochs.0.clone());
        Ok(())
    }

    /// Records that `seq` from the sender with key id `kid` was already accepted, so an
    /// envelope with it is refused as a replay (e.g. state carried over from elsewhere).
    /// A `kind` other than "live" has a window per topic (spec/mqtt-adapters.md §3).
    #[pyo3(signature = (kid, seq, *, kind = "live", topic = ""))]
    fn record_seen(&self, kid: Bytes<'_>, seq: u64, kind: &str, topic: &str) -> PyResult<()> {
        let kid = kid_arg(kid.as_slice())?;
        let window = replay_window_key(&kid, kind_arg(kind)?, topic);
        self.replay
            .clone()
            .check_and_record(&window, seq)
            .map_err(|r| errors::rejected(&r))
    }
}
