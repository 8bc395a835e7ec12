//! An ARM-style API client (being written).
