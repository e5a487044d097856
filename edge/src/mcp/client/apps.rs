//! x
/// The MIME type.
pub const APP_MIME_TYPE: &str = "text/html;profile=mcp-app";
