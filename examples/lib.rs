//! Runnable examples for payseal; see the `[[example]]` entries of this package.
