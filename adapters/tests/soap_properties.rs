//! The mailbox's SOAP responses come from outside: whatever bytes arrive, reading them gives a
//! response or an error that says where, never a panic; and a well-formed response reads back
//! the same values under any namespace prefix.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ketenpost_adapters::zorgmail::parse_response;
use proptest::prelude::*;

const ENVELOPE: &str = r#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><ns2:RetrieveResponse xmlns:ns2="http://www.enovation.nl/ems/mailwebservice"><ns2:messageId>1</ns2:messageId><ns2:content>VU5I</ns2:content></ns2:RetrieveResponse></S:Body></S:Envelope>"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_text_reads_or_fails_cleanly(text in ".{0,400}") {
        let _ = parse_response(&text);
    }

    #[test]
    fn a_damaged_envelope_reads_or_fails_cleanly(cut in 0usize..400, insert in "[<>&;/\"'=a-z:]{0,6}") {
        let mut text = ENVELOPE.to_owned();
        let at = cut.min(text.len());
        text.insert_str(at, &insert);
        if let Err(error) = parse_response(&text) {
            prop_assert!(error.to_string().contains("byte"));
        }
    }

    #[test]
    fn values_read_back_under_any_prefix(prefix in "[a-z][a-z0-9]{0,6}", value in "[ -~]{0,40}") {
        // Prefixes starting with "xml" are reserved by XML itself.
        prop_assume!(!prefix.starts_with("xml"));
        let escaped = value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let xml = format!(
            r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><{prefix}:ListResponse xmlns:{prefix}="http://www.enovation.nl/ems/mailwebservice"><{prefix}:uniqueIds>{escaped}</{prefix}:uniqueIds></{prefix}:ListResponse></e:Body></e:Envelope>"#
        );
        let response = parse_response(&xml).unwrap();
        prop_assert_eq!(response.all("uniqueIds"), vec![value]);
    }
}
