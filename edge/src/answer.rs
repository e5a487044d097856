//! One answer: the provider driver's rules and the tool loop.

pub mod deadline;
