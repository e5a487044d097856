//! The incoming request: everything the edge checks before it spends anything.

pub mod gate;
