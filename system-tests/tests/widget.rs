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
//! | [`accessibility`] | axe-core finds no WCAG 2.1 A/AA violation in any view (light, dark, OS dark, RTL, German, 360 px, launcher) |
//! | [`apps`] | MCP Apps in edge tool mode: the Northwind chart in its sandbox, a tool call from inside it through the edge as the user; a hostile view contained |
//! | [`attachments`] | files by picker, paste and drop as chips; refused files; the provider's `input_image`; a hosted tool's toggle and card |
//! | [`busy`] | an edge whose runtime is out of instances: the widget says so, retries, answers |
//! | [`approvals`] | the approval round trip: the card with full arguments, Allow, the answer continues |
//! | [`chain`] | the fixture: processes, fakes, browser, and page helpers |
//! | [`chat`] | stop mid-answer (the provider sees the cancel), retry after a provider error, reload |
//! | [`resume`] | a connection cut at random points mid-answer: the widget resumes it, the final answer equals the uncut one |
//! | [`rich_results`] | an image result of the official reference server drawn in the tool card, through the real edge |
//! | [`session`] | a 401 mid-conversation, sign-in in a popup, the question goes through |
//! | [`keyboard`] | keyboard only: every control, send, Escape stops, approve, open a tool card, retry, close the launcher; one announcement per answer |
//! | [`edit`] | edit a question (the provider sees the history up to it), regenerate, `copy(index)` |
//! | [`faults`] | every provider fault shown with its code, nothing lost, Retry recovers |
//! | [`threads`] | launcher at 360 px: New chat keeps the conversation, switch by keyboard, history per thread, reload, axe on the list |
//! | [`usage`] | an answer's usage disclosure (tokens, timings) and the same numbers in `pomerium-chat:message` |
//! | [`users`] | another user's sign-in leaves nothing of the first, shown or stored |
//! | [`embedding`] | launcher mode, the host API and its events, screenshots (light, dark, launcher, 360 px) |
//! | [`embedding_pages`] | pages unlike the demo: hostile global CSS, Vue re-rendering the parent, right to left |

mod accessibility;
mod approvals;
mod apps;
mod attachments;
mod busy;
pub(crate) mod chain;
mod chat;
mod edit;
mod elicitation;
mod embedding;
mod embedding_pages;
mod faults;
mod keyboard;
mod prompts;
mod resume;
mod rich_results;
mod session;
mod threads;
mod usage;
mod users;
