//! Tests of the fakes themselves: the provider's scripts, Pomerium's routes, and the binaries.

mod background;
mod binaries;
mod pomerium;
mod provider;
mod support;
