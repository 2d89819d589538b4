//! A client of the ZorgMail mail web service (SOAP 1.1, inline endpoint): List, Retrieve,
//! Delete and Stat, with HTTP Basic authentication.

mod client;
mod mailbox;
mod soap;

use std::path::PathBuf;
use std::time::Duration;

use ketenpost_domain::events::MailEnvelope;

pub use crate::budget::{MemoryBudget, Reservation};
pub use client::ZorgMailClient;
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
    /// How long the service may take to begin an answer, and the longest it may go silent
    /// in the middle of one.
    pub timeout: Duration,
    /// How many calls may be under way at once (over as many reused connections).
    pub max_requests: usize,
    /// The bytes the Retrieves under way and the messages not yet recorded may hold.
    pub max_in_flight_bytes: u64,
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
            .field("max_requests", &self.max_requests)
            .field("max_in_flight_bytes", &self.max_in_flight_bytes)
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
    /// An answer that did not begin in time, went silent, or came too slowly: cut off.
    #[error("the mail web service's {operation} call was cut off: {detail}")]
    Stalled {
        /// The operation.
        operation: &'static str,
        /// What happened.
        detail: String,
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

impl MailboxError {
    /// Whether a Retrieve failing so is about that one message (its answer was too large,
    /// unreadable, a fault, or cut off) rather than the mailbox as a whole (unreachable,
    /// refused): the other messages go on.
    pub fn is_about_the_message(&self) -> bool {
        matches!(
            self,
            Self::TooLarge { .. }
                | Self::Unreadable { .. }
                | Self::Fault { .. }
                | Self::Stalled { .. }
        )
    }
}

/// A retrieved message: the payload and what the mailbox recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrievedMessage {
    /// The payload (`content`, base64-decoded).
    pub content: Vec<u8>,
    /// The message fields, without the subjects.
    pub envelope: MailEnvelope,
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
    fn ids_are_kept_exactly_and_a_soap_body_is_required_to_be_seen() {
        let xml = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
            <x:ListResponse xmlns:x="http://www.enovation.nl/ems/mailwebservice">
            <x:uniqueIds>   </x:uniqueIds><x:uniqueIds> 7 </x:uniqueIds></x:ListResponse></S:Body></S:Envelope>"#;
        let r = parse_response(xml).unwrap();
        assert_eq!(r.all("uniqueIds"), ["   ", " 7 "]);
        assert!(r.body);
        let empty = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body/></S:Envelope>"#;
        assert!(parse_response(empty).unwrap().body);
        assert!(!parse_response("<html><body>ok</body></html>").unwrap().body);
    }

    #[test]
    fn problems_of_one_message_are_told_from_the_mailbox_s() {
        let stalled = MailboxError::Stalled {
            operation: "RetrieveRequest",
            detail: "no answer".into(),
        };
        assert!(stalled.is_about_the_message());
        assert!(!MailboxError::Unauthorized.is_about_the_message());
        assert!(!MailboxError::Unreachable("refused".into()).is_about_the_message());
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
