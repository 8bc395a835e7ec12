//! Blob.
