//! Example SDK clients built only on clientcore's public API.
//!
//! - [`storage`]: Azure Blob, Queue and Table storage with a SharedKey signing policy written
//!   as a custom [`Policy`](clientcore::Policy) over clientcore's rotatable
//!   `NamedKeyCredential`, and the account SAS as the alternative; its tests run against
//!   Azurite, the real storage emulator.
//! - [`azion`]: an Azion-style REST API: token header auth, `errors` lists, `detail`, the
//!   Azion status classes, throttling with `Retry-After`.
//! - [`arm`]: an ARM-style API: a PUT that runs as a long-running operation through
//!   `Azure-AsyncOperation`, and policy violations read as typed error information.
//!
//! Each service method returns a clientcore [`Operation`](operation::Operation), sent with
//! either client.

#![forbid(unsafe_code)]

pub mod arm;
pub mod azion;
pub mod operation;
pub mod storage;
