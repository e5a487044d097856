//! Fuzz target: any body given to `POST /api/chat` is parsed, validated and (when valid) turned
//! into a provider request without panicking; the token appears only in tool headers.
#![no_main]

use edge::auth::BearerToken;
use edge::config::Config;
use edge::pomerium;
use edge::provider;
use libfuzzer_sys::fuzz_target;
use protocol::ChatRequest;

const ROUTES: &[u8] = br#"{"servers":[{"name":"Northwind","url":"https://northwind.example.com/mcp"},{"url":"https://gh.example.com/mcp"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(chat) = serde_json::from_slice::<ChatRequest>(data) else { return };
    if chat.validate().is_err() {
        return;
    }
    let config = Config::from_lookup(|k| (k == "openai_api_key").then(|| "sk-fuzz".to_owned()));
    let servers = pomerium::parse_routes(ROUTES).expect("fixed routes parse");
    let Ok(picked) = pomerium::resolve(&servers, &chat.servers) else { return };
    let token = BearerToken::from_header_values(&["Bearer pom_mat_fuzz"]).expect("a token");
    let Ok(body) = provider::build_request(&config, &chat, &picked, &token) else { return };
    let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
    let n_tools = value["tools"].as_array().map_or(0, Vec::len);
    assert_eq!(body.matches("pom_mat_fuzz").count(), n_tools, "the token only in tool headers");
});
