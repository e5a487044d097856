//! One answer: the provider driver's rules ([`deadline`]), what it feeds a stream into
//! ([`feed`]), and the tool loop.

pub mod deadline;
pub mod feed;
