//! An Azion-style API client (being written).
