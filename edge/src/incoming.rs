//! The incoming request, up to the point where the edge may spend anything: where it goes,
//! whether its origin and caller pass, and the ids it hands back.
//!
//! | module | owns |
//! |---|---|
//! | [`gate`] | route × host × origin × proof: where a request goes, what passes, what is refused with which code |
//! | [`headers`] | the headers of every answer: security (nosniff, frame-ancestors, referrer) and CORS |
//! | [`attachments`] | a chat request's attachments: type, size, count, bytes that match the type |
//! | [`auth`] | the bearer token from the request, in a type that never prints it |
//! | [`identity`] | who is calling, and how the edge proves it in each mode |
//! | [`jwt`] | verifying Pomerium's identity assertion (ES256/RS256 JWT) |
//! | [`seal`] | ids handed to the browser, sealed to one user, purpose and expiry (HMAC) |
//! | [`continuation`] | the ids a stream hands out and a request hands back, sealed to their user |
//! | [`app_handle`] | an MCP App view's handle: its user, server and tool, sealed |
//! | [`urls`] | origins, query parameters, percent-encoding |

pub mod app_handle;
pub mod attachments;
pub mod auth;
pub mod continuation;
pub mod gate;
pub mod headers;
pub mod identity;
pub mod jwt;
pub mod seal;
pub mod urls;
