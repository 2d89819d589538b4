//! A client of the ZorgMail mail web service (SOAP 1.1, inline endpoint): List, Retrieve,
//! Delete and Stat, with HTTP Basic authentication.

mod soap;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use ketenpost_domain::events::MailEnvelope;

pub use soap::{parse as parse_response, request as request_envelope, Response, NAMESPACE};

/// How to reach one mailbox.
#[derive(Clone)]
pub struct ZorgMailConfig {
    /// The endpoint URL (the inline endpoint).
    pub endpoint: String,
    /// The mailbox account (`accountId`).
    pub account_id: String,
    /// The user name.
    pub username: String,
    /// The password (a secret: never shown by `Debug`).
    pub password: String,
    /// How long one request may take.
    pub timeout: Duration,
    /// The CA to trust for an https endpoint instead of the system's trust roots (PEM).
    pub ca_cert: Option<PathBuf>,
    /// The largest message content taken in, in bytes; a larger one stays in the mailbox.
    pub max_message_bytes: u64,
}

impl std::fmt::Debug for ZorgMailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZorgMailConfig")
            .field("endpoint", &self.endpoint)
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .field("password", &"***")
            .field("timeout", &self.timeout)
            .field("ca_cert", &self.ca_cert)
            .field("max_message_bytes", &self.max_message_bytes)
            .finish()
    }
}

/// A mailbox problem: the mailbox, not a message, failed. Retried on the next poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailboxError {
    /// The endpoint could not be reached or did not answer in time.
    #[error("the mail web service could not be reached: {0}")]
    Unreachable(String),
    /// The user name or password was refused (HTTP 401).
    #[error("the mail web service refused the user name or password (HTTP 401)")]
    Unauthorized,
    /// A SOAP fault.
    #[error("the mail web service answered with a fault: {code}: {message}")]
    Fault {
        /// `faultcode`.
        code: String,
        /// `faultstring`.
        message: String,
    },
    /// Another HTTP status.
    #[error("the mail web service answered HTTP {0}")]
    Status(u16),
    /// An answer larger than a message may be: the message stays in the mailbox.
    #[error(
        "the mail web service's {operation} answer holds more than the {limit_mib} MiB a message \
         may have (max_message_mib); it stays in the mailbox"
    )]
    TooLarge {
        /// The operation.
        operation: &'static str,
        /// The limit, in MiB (rounded up).
        limit_mib: u64,
    },
    /// A response that does not follow the service description.
    #[error("the mail web service's {operation} response is not as described: {detail}")]
    Unreadable {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        detail: String,
    },
}

/// Room in an answer for the SOAP envelope and the message's other fields.
const ENVELOPE_BYTES: u64 = 1024 * 1024;

/// A retrieved message: the payload and what the mailbox recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedMessage {
    /// The payload (`content`, base64-decoded).
    pub content: Vec<u8>,
    /// The message fields, without the subjects.
    pub envelope: MailEnvelope,
}

/// A client of one ZorgMail mailbox.
#[derive(Debug, Clone)]
pub struct ZorgMailClient {
    http: reqwest::Client,
    config: ZorgMailConfig,
    /// `endpoint`, parsed once: parsing a host for every call is a measurable cost.
    endpoint: reqwest::Url,
}

impl ZorgMailClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no TLS roots, for instance).
    pub fn new(config: ZorgMailConfig) -> Result<Self, MailboxError> {
        crate::tls::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
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
            config,
            endpoint,
        })
    }

    /// The account this client pulls.
    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    /// The answer's body as text, refused once it is larger than a message in base64 plus
    /// the envelope could be, so that a huge answer cannot exhaust the memory.
    async fn read_bounded(
        &self,
        operation: &'static str,
        mut answer: reqwest::Response,
    ) -> Result<String, MailboxError> {
        let limit = self.config.max_message_bytes.saturating_mul(4) / 3 + ENVELOPE_BYTES;
        let too_large = || MailboxError::TooLarge {
            operation,
            limit_mib: self.config.max_message_bytes.div_ceil(1024 * 1024),
        };
        if answer.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = answer
            .chunk()
            .await
            .map_err(|e| MailboxError::Unreachable(crate::http_error::describe(&e)))?
        {
            if (body.len() + chunk.len()) as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        // The answers are XML in UTF-8; as with reqwest's `text()`, a stray invalid byte
        // becomes U+FFFD (the content itself is base64, so it is never touched).
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    async fn call(
        &self,
        operation: &'static str,
        fields: &[(&str, &str)],
    ) -> Result<Response, MailboxError> {
        let body = soap::request(operation, fields);
        let answer = self
            .http
            .post(self.endpoint.clone())
            .basic_auth(&self.config.username, Some(&self.config.password))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"\"")
            .body(body)
            .send()
            .await
            .map_err(|e| MailboxError::Unreachable(crate::http_error::describe(&e)))?;
        let status = answer.status().as_u16();
        if status == 401 {
            return Err(MailboxError::Unauthorized);
        }
        let text = self.read_bounded(operation, answer).await?;
        let parsed = soap::parse(&text);
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
        let expected = operation.replace("Request", "Response");
        if !response.elements.contains(&expected) {
            return Err(MailboxError::Unreadable {
                operation,
                detail: format!("no {expected} element"),
            });
        }
        Ok(response)
    }

    /// The unique ids of the messages waiting in the mailbox.
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn list(&self) -> Result<Vec<String>, MailboxError> {
        let response = self
            .call("ListRequest", &[("accountId", &self.config.account_id)])
            .await?;
        Ok(response
            .all("uniqueIds")
            .into_iter()
            .filter(|id| !id.is_empty())
            .collect())
    }

    /// How many messages wait.
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn stat(&self) -> Result<u64, MailboxError> {
        let response = self
            .call("StatRequest", &[("accountId", &self.config.account_id)])
            .await?;
        response
            .first("count")
            .and_then(|c| c.parse().ok())
            .ok_or(MailboxError::Unreadable {
                operation: "StatRequest",
                detail: "no count".into(),
            })
    }

    /// One message.
    ///
    /// # Errors
    /// A mailbox problem, or content that is not base64.
    pub async fn retrieve(&self, unique_id: &str) -> Result<RetrievedMessage, MailboxError> {
        let response = self
            .call("RetrieveRequest", &[("uniqueId", unique_id)])
            .await?;
        let content = response.first("content").unwrap_or_default();
        let compact: String = content.split_whitespace().collect();
        let content = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| MailboxError::Unreadable {
                operation: "RetrieveRequest",
                detail: format!("content is not base64: {e}"),
            })?;
        if content.len() as u64 > self.config.max_message_bytes {
            return Err(MailboxError::TooLarge {
                operation: "RetrieveRequest",
                limit_mib: self.config.max_message_bytes.div_ceil(1024 * 1024),
            });
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
        Ok(RetrievedMessage { content, envelope })
    }

    /// Deletes a message (an unknown id succeeds).
    ///
    /// # Errors
    /// A mailbox problem.
    pub async fn delete(&self, unique_id: &str) -> Result<(), MailboxError> {
        self.call("DeleteRequest", &[("uniqueId", unique_id)])
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_prefix_reads_the_same() {
        let a = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
            <x:ListResponse xmlns:x="http://www.enovation.nl/ems/mailwebservice">
            <x:uniqueIds>1</x:uniqueIds><x:uniqueIds>2&amp;3</x:uniqueIds></x:ListResponse></S:Body></S:Envelope>"#;
        let b = r#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body>
            <ListResponse xmlns="http://www.enovation.nl/ems/mailwebservice">
            <uniqueIds>1</uniqueIds><uniqueIds><![CDATA[2&3]]></uniqueIds></ListResponse></Body></Envelope>"#;
        for xml in [a, b] {
            let r = parse_response(xml).unwrap();
            assert_eq!(r.all("uniqueIds"), ["1", "2&3"]);
            assert!(r.elements.iter().any(|e| e == "ListResponse"));
        }
    }

    #[test]
    fn elements_of_another_namespace_do_not_count() {
        let xml = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
            <ListResponse xmlns="urn:other"><uniqueIds>1</uniqueIds></ListResponse></s:Body></s:Envelope>"#;
        assert!(parse_response(xml).unwrap().all("uniqueIds").is_empty());
    }

    #[test]
    fn a_fault_is_read() {
        let xml = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
            <soap:Fault><faultcode>soap:Server</faultcode><faultstring>Mailbox locked</faultstring></soap:Fault>
            </soap:Body></soap:Envelope>"#;
        assert_eq!(
            parse_response(xml).unwrap().fault,
            Some(("soap:Server".into(), "Mailbox locked".into()))
        );
    }

    #[test]
    fn nil_fields_are_absent_and_broken_xml_says_where() {
        let xml = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><e:Body>
            <m:RetrieveResponse xmlns:m="http://www.enovation.nl/ems/mailwebservice"><m:sourceAddress xsi:nil="true"/><m:content>QQ==</m:content></m:RetrieveResponse></e:Body></e:Envelope>"#;
        let r = parse_response(xml).unwrap();
        assert_eq!(r.first("sourceAddress"), None);
        assert_eq!(r.first("content").as_deref(), Some("QQ=="));
        let err = parse_response("<a><b></a>").unwrap_err();
        assert!(err.to_string().contains("byte"), "{err}");
    }

    #[test]
    fn requests_escape_their_values() {
        let xml = request_envelope("RetrieveRequest", &[("uniqueId", "a<b")]);
        assert!(xml.contains("<ms:uniqueId>a&lt;b</ms:uniqueId>"));
        let r = parse_response(&xml).unwrap();
        assert_eq!(r.first("uniqueId").as_deref(), Some("a<b"));
    }
}
