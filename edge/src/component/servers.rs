//! `GET /api/servers` and `POST /api/servers/disconnect`.

use protocol::DisconnectRequest;
use spin_sdk::http::IncomingRequest;

use super::incoming;
use super::pomerium_http;
use super::reply::Reply;
use crate::config::Config;
use crate::error::EdgeError;
use crate::incoming::urls;
use crate::servers::pomerium::{self, McpServer};

/// The user's servers, with `connect_url`s when the widget passed `redirect_url`.
pub(super) async fn list(config: &Config, req: &IncomingRequest, path: &str, reply: Reply) -> u16 {
    let res = async {
        let token = incoming::bearer(req);
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
        let redirect = match urls::query_param(query, "redirect_url") {
            Some(url) => Some(pomerium::redirect_url(&url)?.to_owned()),
            None => None,
        };
        let mut servers = pomerium_http::list_servers(config, token.as_ref()).await?;
        if let Some(redirect) = redirect.filter(|_| !config.is_local()) {
            pomerium::add_connect_urls(&mut servers, &redirect);
        }
        Ok::<_, EdgeError>(servers)
    }
    .await;
    match res {
        Ok(servers) => reply.json(200, &pomerium::server_list(&servers)).await,
        Err(err) => reply.error(&err).await,
    }
}

/// Disconnects the named servers; answers the new list.
pub(super) async fn disconnect(config: &Config, req: IncomingRequest, reply: Reply) -> u16 {
    let res = async {
        let token = incoming::bearer(&req).ok_or(EdgeError::MissingToken)?;
        let body = incoming::json_body(req, incoming::MAX_BODY_BYTES).await?;
        let request: DisconnectRequest =
            serde_json::from_slice(&body).map_err(|e| EdgeError::BadRequestBody(e.to_string()))?;
        let listed = pomerium_http::fetch_servers(config, &token).await?;
        let picked: Vec<&McpServer> = pomerium::resolve(&listed, &request.servers)?;
        if picked.is_empty() {
            return Ok(listed);
        }
        pomerium_http::disconnect(config, &token, &picked).await
    }
    .await;
    match res {
        Ok(servers) => reply.json(200, &pomerium::server_list(&servers)).await,
        Err(err) => reply.error(&err).await,
    }
}
