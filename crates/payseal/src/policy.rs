//! What an opener accepts: freshness, replay window width and size limits.

use crate::error::ConfigError;

/// Explicit bounds on what an envelope may contain (spec §4.3). Anything beyond them is
/// rejected before any cryptographic work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest envelope, in bytes. Default 256 KiB.
    pub max_envelope_bytes: usize,
    /// Largest encoded protected header, in bytes, not counting the certificate bytes of an
    /// `x5chain` (those have their own limit, [`max_x5chain_bytes`](Self::max_x5chain_bytes)).
    /// Default 256.
    pub max_protected_bytes: usize,
    /// Most certificate bytes in an `x5chain` header (COSE label 33, RFC 9360), summed over its
    /// certificates. Default 4096 (a leaf and an intermediate are typically under 1 KiB).
    /// 0 refuses every envelope carrying a chain.
    pub max_x5chain_bytes: usize,
    /// Most certificates in an `x5chain` header. Default 4.
    pub max_x5chain_certs: usize,
    /// Most entries in the protected header map. Default 16.
    pub max_header_entries: usize,
    /// Deepest nesting of arrays and maps. Default 4 (the envelope needs 3).
    pub max_depth: usize,
    /// Most CBOR items in the envelope or its protected header. Default 64.
    pub max_items: usize,
    /// Most recipients in a multi-recipient encrypted envelope. Default 128.
    pub max_recipients: usize,
}

impl Limits {
    /// The defaults listed on each field.
    pub const DEFAULT: Limits = Limits {
        max_envelope_bytes: 256 * 1024,
        max_protected_bytes: 256,
        max_x5chain_bytes: 4096,
        max_x5chain_certs: 4,
        max_header_entries: 16,
        max_depth: 4,
        max_items: 64,
        max_recipients: 128,
    };

    /// Sets the largest envelope accepted.
    pub const fn with_max_envelope_bytes(mut self, bytes: usize) -> Self {
        self.max_envelope_bytes = bytes;
        self
    }

    /// Sets the most certificate bytes, and certificates, accepted in an `x5chain`.
    pub const fn with_max_x5chain(mut self, bytes: usize, certs: usize) -> Self {
        self.max_x5chain_bytes = bytes;
        self.max_x5chain_certs = certs;
        self
    }

    /// The largest protected header bstr read at all:
    /// [`max_protected_bytes`](Self::max_protected_bytes) plus
    /// [`max_x5chain_bytes`](Self::max_x5chain_bytes) (just the former when chains are refused).
    /// Once parsed, the header less its certificates' bytes must still fit
    /// `max_protected_bytes` (the CBOR heads of the chain count there).
    pub const fn max_protected_bytes_with_chain(&self) -> usize {
        if self.max_x5chain_bytes == 0 || self.max_x5chain_certs == 0 {
            return self.max_protected_bytes;
        }
        self.max_protected_bytes
            .saturating_add(self.max_x5chain_bytes)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How old, or how far ahead, a timestamp may be (spec §5 steps 9-10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// Oldest timestamp accepted, in seconds before now.
    pub max_age_secs: u64,
    /// Furthest future timestamp accepted, in seconds after now.
    pub max_future_skew_secs: u64,
}

/// The receiving side's acceptance policy.
///
/// ```
/// use payseal::Policy;
/// let policy = Policy::default().with_max_age(60)?.with_window(256)?;
/// assert_eq!(policy.max_age_secs(), 60);
/// # Ok::<(), payseal::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    max_age_secs: u64,
    max_future_skew_secs: u64,
    window: usize,
    limits: Limits,
}

impl Policy {
    /// Default maximum age of a timestamp: 5 minutes.
    pub const DEFAULT_MAX_AGE_SECS: u64 = 300;
    /// Default tolerance for a sender clock ahead of ours: 30 seconds.
    pub const DEFAULT_MAX_FUTURE_SKEW_SECS: u64 = 30;
    /// Default replay window width: 128 sequence numbers per sender.
    pub const DEFAULT_WINDOW: usize = 128;
    /// The smallest window width allowed.
    pub const MIN_WINDOW: usize = 64;
    /// The largest window width allowed (8 KiB of state per sender).
    pub const MAX_WINDOW: usize = 65_536;

    /// Oldest timestamp accepted, in seconds before now.
    pub fn max_age_secs(&self) -> u64 {
        self.max_age_secs
    }

    /// Furthest future timestamp accepted, in seconds after now.
    pub fn max_future_skew_secs(&self) -> u64 {
        self.max_future_skew_secs
    }

    /// The freshness bounds as one value.
    pub fn freshness(&self) -> Freshness {
        Freshness {
            max_age_secs: self.max_age_secs,
            max_future_skew_secs: self.max_future_skew_secs,
        }
    }

    /// Replay window width per sender.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Size and complexity limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets the maximum age.
    ///
    /// # Errors
    /// [`ConfigError::Policy`] for 0.
    pub fn with_max_age(mut self, secs: u64) -> Result<Self, ConfigError> {
        if secs == 0 {
            return Err(ConfigError::Policy("max age must be at least 1 second"));
        }
        self.max_age_secs = secs;
        Ok(self)
    }

    /// Sets the tolerated future skew (0 allowed: timestamps may not be ahead at all).
    pub fn with_max_future_skew(mut self, secs: u64) -> Self {
        self.max_future_skew_secs = secs;
        self
    }

    /// Sets the replay window width, rounded up to a multiple of 64.
    ///
    /// # Errors
    /// [`ConfigError::Policy`] outside [`MIN_WINDOW`](Self::MIN_WINDOW) ..=
    /// [`MAX_WINDOW`](Self::MAX_WINDOW).
    pub fn with_window(mut self, width: usize) -> Result<Self, ConfigError> {
        if !(Self::MIN_WINDOW..=Self::MAX_WINDOW).contains(&width) {
            return Err(ConfigError::Policy("window must be 64 to 65536"));
        }
        self.window = width.div_ceil(64) * 64;
        Ok(self)
    }

    /// Sets the size and complexity limits.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_age_secs: Self::DEFAULT_MAX_AGE_SECS,
            max_future_skew_secs: Self::DEFAULT_MAX_FUTURE_SKEW_SECS,
            window: Self::DEFAULT_WINDOW,
            limits: Limits::DEFAULT,
        }
    }
}
