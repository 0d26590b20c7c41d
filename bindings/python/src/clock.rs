//! Where sealers and openers read the time: the system clock, or a `ManualClock` the caller
//! sets (tests, replaying recorded traffic).

use std::sync::Arc;

use pyo3::prelude::*;

/// A clock set by hand, shared by every sealer and opener given it.
#[pyclass(module = "payseal", frozen)]
pub(crate) struct ManualClock(pub(crate) Arc<payseal::ManualClock>);

#[pymethods]
impl ManualClock {
    #[new]
    fn new(unix_secs: u64) -> Self {
        ManualClock(Arc::new(payseal::ManualClock::new(unix_secs)))
    }

    /// Sets the time (Unix seconds).
    fn set(&self, unix_secs: u64) {
        self.0.set(unix_secs);
    }

    /// Moves the time forward by `secs`.
    fn advance(&self, secs: u64) {
        self.0.advance(secs);
    }

    /// The time now (Unix seconds).
    fn now(&self) -> Option<u64> {
        payseal::Clock::now(&*self.0)
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.now().unwrap_or(0))
    }
}

/// The clock a sealer or opener runs on.
#[derive(Clone)]
pub(crate) enum AnyClock {
    System,
    Manual(Arc<payseal::ManualClock>),
}

impl AnyClock {
    pub(crate) fn from_arg(clock: Option<&ManualClock>) -> Self {
        clock.map_or(AnyClock::System, |c| AnyClock::Manual(c.0.clone()))
    }
}

impl payseal::Clock for AnyClock {
    fn now(&self) -> Option<u64> {
        match self {
            AnyClock::System => payseal::SystemClock.now(),
            AnyClock::Manual(clock) => clock.now(),
        }
    }
}
