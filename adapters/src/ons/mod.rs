//! A client of the Nedap Ons API over mutual TLS: looking a client up by BSN, placing a PDF
//! document in the client's record, and reading the client's documents back.

mod wire;

use std::path::PathBuf;
use std::time::Duration;

use ketenpost_domain::bsn::Bsn;
use reqwest::multipart::{Form, Part};

pub use wire::{DocumentMetadata, PlacedDocument, StoredDocument};

/// How to reach one Ons environment.
#[derive(Clone)]
pub struct OnsConfig {
    /// The API's base URL, without a trailing `/`.
    pub base_url: String,
    /// The client certificate (PEM).
    pub client_cert: PathBuf,
    /// The client key (PEM); a secret file, never read into a log.
    pub client_key: PathBuf,
    /// The CA that signed the server certificate (PEM).
    pub ca_cert: PathBuf,
    /// The employee documents are placed as.
    pub employee_object_id: String,
    /// `X-Cupido-User-Name`.
    pub user_name: String,
    /// `X-Cupido-Active-Identity`.
    pub active_identity: String,
    /// How long one request may take.
    pub timeout: Duration,
    /// The data key, to open a client key sealed with it (never shown by `Debug`).
    pub data_key: Option<[u8; 32]>,
}

impl std::fmt::Debug for OnsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnsConfig")
            .field("base_url", &self.base_url)
            .field("client_cert", &self.client_cert)
            .field("client_key", &self.client_key)
            .field("ca_cert", &self.ca_cert)
            .field("employee_object_id", &self.employee_object_id)
            .field("user_name", &self.user_name)
            .field("active_identity", &self.active_identity)
            .field("timeout", &self.timeout)
            .field("data_key", &self.data_key.map(|_| "***"))
            .finish()
    }
}

/// A failed call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OnsError {
    /// The client could not be set up (certificates).
    #[error("the Ons client cannot be set up: {0}")]
    Setup(String),
    /// No answer: the connection failed, was dropped or timed out.
    #[error("Ons could not be reached: {0}")]
    Transport(String),
    /// An answer that was not a success.
    #[error("Ons answered HTTP {status}: {detail}")]
    Status {
        /// The status.
        status: u16,
        /// The start of the body (no personal data is sent to Ons' error texts).
        detail: String,
    },
    /// A success whose body is not as described.
    #[error("Ons' answer is not as described: {0}")]
    Unreadable(String),
}

/// What a lookup by BSN gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLookup {
    /// One client, with this id.
    Found(String),
    /// No client (404).
    NotFound,
    /// Several clients share the BSN (409).
    Several,
}

/// A client of one Ons environment.
#[derive(Debug, Clone)]
pub struct OnsClient {
    http: reqwest::Client,
    config: OnsConfig,
    /// `base_url`, parsed once: parsing a host for every request is a measurable cost.
    base: reqwest::Url,
}

impl OnsClient {
    /// A client for `config`: reads the certificates and the key.
    ///
    /// # Errors
    /// Files that cannot be read or do not fit together.
    pub fn new(config: OnsConfig) -> Result<Self, OnsError> {
        let tls = crate::tls::mutual_tls_config(
            &config.ca_cert,
            &config.client_cert,
            &config.client_key,
            config.data_key.as_ref(),
        )
        .map_err(|e| OnsError::Setup(e.to_string()))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            // The API does not redirect; a redirect is answered as the status it is.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OnsError::Setup(e.to_string()))?;
        let base = reqwest::Url::parse(&config.base_url)
            .map_err(|e| OnsError::Setup(format!("base_url {}: {e}", config.base_url)))?;
        Ok(Self { http, config, base })
    }

    /// `path` (which starts with `/`) under the base URL's own path.
    fn url(&self, path: &str) -> reqwest::Url {
        let mut url = self.base.clone();
        let prefix = self.base.path().trim_end_matches('/');
        url.set_path(&format!("{prefix}{path}"));
        url
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("X-Cupido-User-Name", &self.config.user_name)
            .header("X-Cupido-Active-Identity", &self.config.active_identity)
            .header("Accept", "application/json")
    }

    /// `GET /ping`: whether the certificate is accepted.
    ///
    /// # Errors
    /// No answer, or not 200.
    pub async fn ping(&self) -> Result<(), OnsError> {
        let answer = send(self.request(reqwest::Method::GET, "/ping")).await?;
        success(answer).await.map(|_| ())
    }

    /// Looks a client up by BSN.
    ///
    /// # Errors
    /// No answer, or an answer other than 200, 404 and 409.
    pub async fn client_by_bsn(&self, bsn: &Bsn) -> Result<ClientLookup, OnsError> {
        let answer = send(
            self.request(reqwest::Method::GET, "/v0/administration/clients/by_bsn")
                .query(&[("bsn", bsn.expose())]),
        )
        .await?;
        match answer.status().as_u16() {
            404 => Ok(ClientLookup::NotFound),
            409 => Ok(ClientLookup::Several),
            _ => {
                let body = success(answer).await?;
                wire::client_id(&body).map(ClientLookup::Found)
            }
        }
    }

    /// Places a PDF document in a client's record.
    ///
    /// # Errors
    /// No answer (the document may or may not have landed), or an answer other than 200/201.
    pub async fn place_document(
        &self,
        client_id: &str,
        metadata: &DocumentMetadata,
        pdf: Vec<u8>,
    ) -> Result<PlacedDocument, OnsError> {
        let json = wire::metadata_json(client_id, &self.config.employee_object_id, metadata);
        let metadata_part = Part::text(json)
            .mime_str("application/json")
            .map_err(|e| OnsError::Setup(e.to_string()))?;
        let attachment = Part::bytes(pdf)
            .file_name(metadata.file_name.clone())
            .mime_str("application/pdf")
            .map_err(|e| OnsError::Setup(e.to_string()))?;
        let form = Form::new()
            .part("metadata", metadata_part)
            .part("attachment", attachment);
        let path = format!(
            "/v0/administration/clients/{}/documents",
            path_segment(client_id)
        );
        let answer = send(self.request(reqwest::Method::POST, &path).multipart(form)).await?;
        let body = success(answer).await?;
        wire::placed_document(&body)
    }

    /// The client's documents, as far as placed by the configured employee.
    ///
    /// # Errors
    /// No answer, or not 200.
    pub async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, OnsError> {
        let path = format!(
            "/v0/administration/clients/{}/documents/all",
            path_segment(client_id)
        );
        let answer = send(
            self.request(reqwest::Method::GET, &path)
                .query(&[("employee_id", self.config.employee_object_id.as_str())]),
        )
        .await?;
        let body = success(answer).await?;
        wire::stored_documents(&body)
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, OnsError> {
    request
        .send()
        .await
        .map_err(|e| OnsError::Transport(crate::http_error::describe(&e)))
}

async fn success(answer: reqwest::Response) -> Result<String, OnsError> {
    let status = answer.status().as_u16();
    let body = answer
        .text()
        .await
        .map_err(|e| OnsError::Transport(crate::http_error::describe(&e)))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        let detail: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
        Err(OnsError::Status { status, detail })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("123"), "123");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
