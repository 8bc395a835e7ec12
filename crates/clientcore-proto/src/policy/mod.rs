//! Request and response shaping shared by every driver.
//!
//! The pipeline policies arrive with the pipeline; this module already holds the redaction
//! rules, because errors and their `Debug` output must never leak secrets either.

pub mod redact;
