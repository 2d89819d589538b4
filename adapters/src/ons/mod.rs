//! A client of the Nedap Ons API over mutual TLS: looking a client up by BSN, placing a PDF
//! document in the client's record, and reading the client's documents back.

mod record_system;
mod wire;

use std::path::PathBuf;
use std::time::Duration;

use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::category::RecordSystemCall;
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
    /// An answer that was not a success. Its body is never read into the error: Ons' error
    /// texts may echo the BSN or the client's name.
    #[error("Ons answered HTTP {status} to the {call}")]
    Status {
        /// The call answered.
        call: RecordSystemCall,
        /// The status.
        status: u16,
    },
    /// A success whose body is not as described (or is for another client than asked).
    #[error("Ons' answer to the {call} is not as described: {problem}")]
    Unreadable {
        /// The call answered.
        call: RecordSystemCall,
        /// What is wrong, in fixed words: never a quote of the answer.
        problem: String,
    },
}

impl OnsError {
    /// Whether Ons refused ketenpost itself (HTTP 401 or 403): its certificate or account is
    /// not accepted, whatever the message.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Status {
                status: 401 | 403,
                ..
            }
        )
    }
}

pub use ketenpost_domain::ports::ClientLookup;

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
        success(RecordSystemCall::Ping, answer).await.map(|_| ())
    }

    /// Looks a client up by BSN.
    ///
    /// # Errors
    /// No answer, an answer other than 200, 404 and 409, or a 200 for another BSN or with an
    /// id that is not plain (see [`wire::client_id`]).
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
                let body = success(RecordSystemCall::Lookup, answer).await?;
                wire::client_id(&body, bsn.expose()).map(ClientLookup::Found)
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
        let path = documents_path(client_id, RecordSystemCall::Upload, "")?;
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
        let answer = send(self.request(reqwest::Method::POST, &path).multipart(form)).await?;
        let body = success(RecordSystemCall::Upload, answer).await?;
        wire::placed_document(&body)
    }

    /// The client's documents, as far as placed by the configured employee.
    ///
    /// # Errors
    /// No answer, or not 200.
    pub async fn documents(&self, client_id: &str) -> Result<Vec<StoredDocument>, OnsError> {
        let path = documents_path(client_id, RecordSystemCall::List, "/all")?;
        let answer = send(
            self.request(reqwest::Method::GET, &path)
                .query(&[("employee_id", self.config.employee_object_id.as_str())]),
        )
        .await?;
        let body = success(RecordSystemCall::List, answer).await?;
        wire::stored_documents(&body)
    }
}

/// `/v0/administration/clients/{client_id}/documents{tail}`, for a plain client id only: a
/// URL normalises `..` (even percent-encoded), so an id that is not plain could name another
/// path.
fn documents_path(client_id: &str, call: RecordSystemCall, tail: &str) -> Result<String, OnsError> {
    if !wire::is_plain_id(client_id) {
        return Err(OnsError::Unreadable {
            call,
            problem: "the client id is not a plain id".into(),
        });
    }
    Ok(format!(
        "/v0/administration/clients/{}/documents{tail}",
        path_segment(client_id)
    ))
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

/// The body of a success; for any other answer only its status (the body is not read).
async fn success(call: RecordSystemCall, answer: reqwest::Response) -> Result<String, OnsError> {
    let status = answer.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(OnsError::Status { call, status });
    }
    answer
        .text()
        .await
        .map_err(|e| OnsError::Transport(crate::http_error::describe(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("123"), "123");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn only_plain_client_ids_make_a_path() {
        let upload = RecordSystemCall::Upload;
        assert_eq!(
            documents_path("1001", upload, "").unwrap(),
            "/v0/administration/clients/1001/documents"
        );
        for id in ["..", ".", "", "a/b", "%2e%2e", "a b"] {
            assert!(documents_path(id, upload, "/all").is_err(), "{id:?}");
        }
    }
}
