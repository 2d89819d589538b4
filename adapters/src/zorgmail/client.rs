//! The client of one ZorgMail mailbox: List, Stat, Retrieve and Delete over one pool of
//! connections, at most `max_requests` calls at a time, each call bounded in time (an answer
//! must begin within `timeout`, may never go silent for longer, and must keep up a minimum
//! rate) and each Retrieve bounded in memory by the mailbox's [`MemoryBudget`].

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use ketenpost_domain::events::MailEnvelope;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::soap::{self, Response};
use super::{MailboxError, RetrievedMessage, ZorgMailConfig};
use crate::budget::{MemoryBudget, Reservation};

/// Room in an answer for the SOAP envelope and the message's other fields.
const ENVELOPE_BYTES: u64 = 1024 * 1024;

/// The slowest an answer may arrive once it has begun, in bytes per second: a 64 MiB message
/// (85 MiB in base64) may take some 22 minutes, an answer trickled slower than this is cut off.
const MIN_BYTES_PER_SECOND: u64 = 64 * 1024;

/// A client of one ZorgMail mailbox. Clones share the connections, the request limit and the
/// memory budget.
#[derive(Debug, Clone)]
pub struct ZorgMailClient {
    http: reqwest::Client,
    config: ZorgMailConfig,
    /// `endpoint`, parsed once: parsing a host for every call is a measurable cost.
    endpoint: reqwest::Url,
    /// One permit per call that may be under way.
    requests: Arc<Semaphore>,
    /// The bytes Retrieves may hold.
    budget: MemoryBudget,
}

impl ZorgMailClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots, for instance).
    pub fn new(config: ZorgMailConfig) -> Result<Self, MailboxError> {
        crate::tls::install_crypto_provider();
        let max_requests = config.max_requests.max(1);
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // Keep as many connections as calls may be under way, and reuse them.
            .pool_max_idle_per_host(max_requests)
            // The service does not redirect; following one would send the password elsewhere.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(ca_cert) = &config.ca_cert {
            let tls = crate::tls::server_trust_config(ca_cert)
                .map_err(|e| MailboxError::Unreachable(format!("ca_cert: {e}")))?;
            builder = builder.tls_backend_preconfigured(tls);
        }
        let http = builder
            .build()
            .map_err(|e| MailboxError::Unreachable(format!("HTTP client: {e}")))?;
        let endpoint = reqwest::Url::parse(&config.endpoint)
            .map_err(|e| MailboxError::Unreachable(format!("endpoint {}: {e}", config.endpoint)))?;
        Ok(Self {
            http,
            requests: Arc::new(Semaphore::new(max_requests)),
            budget: MemoryBudget::new(config.max_in_flight_bytes),
            config,
            endpoint,
        })
    }

    /// The account this client pulls.
    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    /// How many calls may be under way at once.
    pub fn max_requests(&self) -> usize {
        self.config.max_requests.max(1)
    }

    /// The largest answer a call may get: a message in base64 plus its envelope.
    fn answer_limit(&self) -> u64 {
        self.config.max_message_bytes.saturating_mul(4) / 3 + ENVELOPE_BYTES
    }

    fn too_large(&self, operation: &'static str) -> MailboxError {
        MailboxError::TooLarge {
            operation,
            limit_mib: self.config.max_message_bytes.div_ceil(1024 * 1024),
        }
    }

    /// Adds the next part of an answer that began at `started` to `body`; `false` at its
    /// end. `Stalled` once it was silent for `timeout` or fell below the minimum rate,
    /// `TooLarge` once it passes the limit.
    async fn read_more(
        &self,
        operation: &'static str,
        answer: &mut reqwest::Response,
        started: Instant,
        body: &mut Vec<u8>,
    ) -> Result<bool, MailboxError> {
        let read = body.len() as u64;
        let timeout = self.config.timeout;
        let allowed = timeout + Duration::from_secs_f64(read as f64 / MIN_BYTES_PER_SECOND as f64);
        let wait = (started + allowed)
            .saturating_duration_since(Instant::now())
            .min(timeout);
        match tokio::time::timeout(wait, answer.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                if read + chunk.len() as u64 > self.answer_limit() {
                    return Err(self.too_large(operation));
                }
                body.extend_from_slice(&chunk);
                Ok(true)
            }
            Ok(Ok(None)) => Ok(false),
            Ok(Err(e)) => Err(MailboxError::Unreachable(crate::http_error::describe(&e))),
            Err(_) => Err(MailboxError::Stalled {
                operation,
                detail: format!(
                    "the answer stopped after {read} bytes: nothing for {} s, or slower than \
                     {} KiB/s",
                    timeout.as_secs_f64(),
                    MIN_BYTES_PER_SECOND / 1024
                ),
            }),
        }
    }

    /// Calls `operation` and reads the answer. With a `budget`, what reading the answer takes
    /// is reserved from it once the answer begins, and the reservation comes back with it.
    async fn call(
        &self,
        operation: &'static str,
        fields: &[(&str, &str)],
        budget: Option<&MemoryBudget>,
    ) -> Result<(Response, Option<Reservation>), MailboxError> {
        let _permit = self
            .requests
            .acquire()
            .await
            .map_err(|_| MailboxError::Unreachable("the client was closed".into()))?;
        let started = Instant::now();
        let request = self
            .http
            .post(self.endpoint.clone())
            .basic_auth(&self.config.username, Some(&self.config.password))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"\"")
            .body(soap::request(operation, fields))
            .send();
        let mut answer = match tokio::time::timeout(self.config.timeout, request).await {
            Ok(answer) => {
                answer.map_err(|e| MailboxError::Unreachable(crate::http_error::describe(&e)))?
            }
            Err(_) => {
                return Err(MailboxError::Stalled {
                    operation,
                    detail: format!("no answer within {} s", self.config.timeout.as_secs_f64()),
                })
            }
        };
        let status = answer.status().as_u16();
        if status == 401 {
            return Err(MailboxError::Unauthorized);
        }
        let limit = self.answer_limit();
        let expected = answer.content_length();
        if expected.is_some_and(|n| n > limit) {
            return Err(self.too_large(operation));
        }
        // Reading the answer holds it twice at most (the bytes, then the text taken out of
        // them); the payload decoded from the text is smaller than either.
        let reservation = match budget {
            Some(budget) => Some(budget.reserve(expected.unwrap_or(limit) * 2).await),
            None => None,
        };
        // The time spent waiting for the memory is not the service's.
        let started = if reservation.is_some() {
            Instant::now()
        } else {
            started
        };
        let mut body = Vec::with_capacity(usize::try_from(expected.unwrap_or(0)).unwrap_or(0));
        while self
            .read_more(operation, &mut answer, started, &mut body)
            .await?
        {}
        // The answers are XML in UTF-8; as with reqwest's `text()`, a stray invalid byte
        // becomes U+FFFD (the content itself is base64, so it is never touched).
        let text = String::from_utf8(body)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        let parsed = soap::parse(&text);
        drop(text);
        if let Ok(Response {
            fault: Some((code, message)),
            ..
        }) = &parsed
        {
            return Err(MailboxError::Fault {
                code: code.clone(),
                message: message.clone(),
            });
        }
        if !(200..300).contains(&status) {
            return Err(MailboxError::Status(status));
        }
        let response = parsed.map_err(|e| MailboxError::Unreadable {
            operation,
            detail: e.to_string(),
        })?;
        if !response.body {
            return Err(MailboxError::Unreadable {
                operation,
                detail: "no SOAP 1.1 Body".into(),
            });
        }
        // The spec gives Delete an empty answer: a Body without a DeleteResponse is as good.
        let expected = operation.replace("Request", "Response");
        if operation != "DeleteRequest" && !response.elements.contains(&expected) {
            return Err(MailboxError::Unreadable {
                operation,
                detail: format!("no {expected} element"),
            });
        }
        Ok((response, reservation))
    }

    /// The unique ids of the messages waiting in the mailbox, each once, in the order of the
    /// list, exactly as the service wrote them (an id of spaces is an id).
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn list(&self) -> Result<Vec<String>, MailboxError> {
        let (response, _) = self
            .call(
                "ListRequest",
                &[("accountId", &self.config.account_id)],
                None,
            )
            .await?;
        let mut unique = std::collections::HashSet::new();
        Ok(response
            .all("uniqueIds")
            .into_iter()
            .filter(|id| unique.insert(id.clone()))
            .collect())
    }

    /// How many messages wait.
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn stat(&self) -> Result<u64, MailboxError> {
        let (response, _) = self
            .call(
                "StatRequest",
                &[("accountId", &self.config.account_id)],
                None,
            )
            .await?;
        response
            .first("count")
            .and_then(|c| c.parse().ok())
            .ok_or(MailboxError::Unreadable {
                operation: "StatRequest",
                detail: "no count".into(),
            })
    }

    /// One message, and the memory reserved for it: hold the reservation until the message
    /// is recorded.
    ///
    /// # Errors
    /// A mailbox problem, or an answer without usable content (none, nil, empty, more than
    /// one, not base64): then the message stays in the mailbox.
    pub async fn retrieve(
        &self,
        unique_id: &str,
    ) -> Result<(RetrievedMessage, Reservation), MailboxError> {
        let (mut response, reservation) = self
            .call(
                "RetrieveRequest",
                &[("uniqueId", unique_id)],
                Some(&self.budget),
            )
            .await?;
        let no_content = |detail: &str| MailboxError::Unreadable {
            operation: "RetrieveRequest",
            detail: format!("{detail}; the message stays in the mailbox"),
        };
        let content = match response.count("content") {
            0 => return Err(no_content("no content element in the service's namespace")),
            1 if response.is_nil("content") => return Err(no_content("the content is nil")),
            1 => response.take_first("content").unwrap_or_default(),
            n => return Err(no_content(&format!("{n} content elements"))),
        };
        let mut compact = content.into_bytes();
        compact.retain(|b| !b.is_ascii_whitespace());
        if compact.is_empty() {
            return Err(no_content("the content is empty"));
        }
        let content = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .map_err(|e| MailboxError::Unreadable {
                operation: "RetrieveRequest",
                detail: format!("content is not base64: {e}"),
            })?;
        drop(compact);
        if content.len() as u64 > self.config.max_message_bytes {
            return Err(self.too_large("RetrieveRequest"));
        }
        let field = |name: &str| response.first(name).filter(|v| !v.is_empty());
        let envelope = MailEnvelope {
            message_id: field("messageId"),
            source_account_id: field("sourceAccountId"),
            source_address: field("sourceAddress"),
            receive_timestamp: field("receiveTimestamp"),
            header_message_id: field("headerMessageId"),
            header_from: field("headerFrom"),
            header_to: field("headerTo"),
            document_format: field("documentFormat"),
            document_type: field("documentType"),
            document_count: field("documentCount"),
            document_item_count: field("documentItemCount"),
            document_id: field("documentId"),
            document_timestamp: field("documentTimestamp"),
            document_sender: field("documentSender"),
            document_recipient: field("documentRecipient"),
            document_type_version: field("documentTypeVersion"),
            document_sub_type: field("documentSubType"),
            content_type: field("contentType"),
        };
        let reservation = match reservation {
            Some(reservation) => reservation,
            None => self.budget.reserve(0).await,
        };
        Ok((RetrievedMessage { content, envelope }, reservation))
    }

    /// Deletes a message (an unknown id succeeds). An HTTP 200 whose SOAP Body holds no
    /// fault is a success, with or without a `DeleteResponse` element.
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn delete(&self, unique_id: &str) -> Result<(), MailboxError> {
        self.call("DeleteRequest", &[("uniqueId", unique_id)], None)
            .await
            .map(|_| ())
    }
}
