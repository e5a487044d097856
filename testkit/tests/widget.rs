//! The widget end to end: the real edge under `wasmtime serve` behind the fake Pomerium, the
//! fake provider (a model that really calls northwind-mcp), and the widget in headless Chromium.
//!
//! Each test starts its own [`chain::Chain`] and runs one scenario; scenarios return errors
//! (`anyhow::ensure!`) instead of panicking, so the browser is always closed. Browser tests
//! take turns (one Chromium at a time: this machine has two cores). The screenshots test saves
//! PNGs under `target/screenshots/`.
//!
//! | module | scenarios |
//! |---|---|
//! | [`busy`] | an edge whose runtime is out of instances: the widget says so, retries, answers |
//! | [`approvals`] | the approval round trip: the card with full arguments, Allow, the answer continues |
//! | [`chain`] | the fixture: processes, fakes, browser, and page helpers |
//! | [`chat`] | stop mid-answer (the provider sees the cancel), retry after a provider error, reload |
//! | [`session`] | a 401 mid-conversation, sign-in in a popup, the question goes through |
//! | [`faults`] | every provider fault shown with its code, nothing lost, Retry recovers |
//! | [`embedding`] | launcher mode, the host API and its events, screenshots (light, dark, launcher, 360 px) |

mod approvals;
mod busy;
mod chain;
mod chat;
mod embedding;
mod faults;
mod session;
