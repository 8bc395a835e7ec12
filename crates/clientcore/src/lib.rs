#![doc = include_str!("../../../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use clientcore_proto::{
    error, format, http, is_retryable_status, policy, AzionStatus, BoxError, CapturedResponse,
    Error, ErrorFormat, ErrorKind, ErrorMap, RedirectHop, Result, ServiceError, MAX_ERROR_BODY,
};
