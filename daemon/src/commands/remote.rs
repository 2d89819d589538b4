//! Asking a running daemon through its API: while `ketenpost run` holds the data folder, the
//! commands that read or change it go through the daemon, with the token from its
//! configuration.

use anyhow::Context;
use serde_json::Value;

use crate::config::ApiSettings;

/// One API call: `(status, body)`.
///
/// # Errors
/// The daemon cannot be reached or does not answer JSON.
pub fn call(api: &ApiSettings, method: &str, path: &str) -> anyhow::Result<(u16, Value)> {
    ketenpost_adapters::tls::install_crypto_provider();
    let address = api.listen;
    let url = format!("http://{address}{path}");
    let token = api.token.expose().to_owned();
    let method = reqwest::Method::from_bytes(method.as_bytes()).context("HTTP method")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("Failed to start the async runtime")?;
    runtime.block_on(async move {
        let answer = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(token)
            .send()
            .await
            .with_context(|| {
                format!(
                    "The daemon's API at {address} cannot be reached; is `ketenpost run` running?"
                )
            })?;
        let status = answer.status().as_u16();
        let text = answer.text().await.context("The daemon's answer")?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, body))
    })
}

/// Whether an API answer refuses the message id itself (not a message id, no such message, or
/// a message that cannot be resent now): refused input, exit 2. Any other failure (a wrong
/// token, a daemon in trouble) means the command could not be done: exit 1.
pub fn refuses_the_id(status: u16) -> bool {
    matches!(status, 400 | 404 | 409)
}
