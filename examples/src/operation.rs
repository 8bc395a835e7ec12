//! The operation type every example client returns: clientcore's own
//! [`Operation`], re-exported so the examples' paths keep
//! working.

pub use clientcore::operation::{Decode, Head, Operation};
