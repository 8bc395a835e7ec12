//! Azure Storage clients (being written).
