//! Properties over generated input: no input makes reading panic, and any letter text written
//! with correct release characters reads back exactly, whatever the whitespace between segments.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ketenpost_domain::edifact;
use ketenpost_domain::message::{Content, Message};
use ketenpost_domain::payload::{read_payload, Payload};
use proptest::prelude::*;

/// Reads a payload the way the daemon does, touching every output, and must not panic.
fn read_everything(bytes: &[u8]) {
    match read_payload(bytes) {
        Err(error) => {
            let _ = error.to_string();
        }
        Ok(Payload::Other(format)) => {
            let _ = format.as_str();
        }
        Ok(Payload::Edifact(interchange)) => {
            for message in Message::read_all(&interchange) {
                let _ = message.warnings.iter().map(ToString::to_string).count();
                if let Some(document) = message.document() {
                    let _ = document.plain_text();
                }
            }
        }
    }
}

/// Bytes that look like EDIFACT: tags, separators, releases, whitespace, UNA, any byte.
fn edifact_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"UNA:+.? '".to_vec()),
        Just(b"UNA:+.?'".to_vec()),
        Just(b"UNA".to_vec()),
        Just(b"UNB+UNOC:1+1+2+240101:1200+R'".to_vec()),
        Just(b"UNB+UNOY:3'".to_vec()),
        Just(b"UNH+1+MEDVRI:1'".to_vec()),
        Just(b"UNH+2+MEDLAB:1'".to_vec()),
        Just(b"UNH+3'".to_vec()),
        Just(b"UNT+5+1'".to_vec()),
        Just(b"UNZ+1+R'".to_vec()),
        Just(b"PID+1980:10:25+V+Berg:van de:Jansen:van::P.++BSN999990019'".to_vec()),
        Just(b"DET+24:02:30+25:61'".to_vec()),
        Just(b"BEP:1:1:1+1+X+1++u+H+1+2+C'".to_vec()),
        Just(b"OPB+r'".to_vec()),
        Just(b"IDE+J+1'".to_vec()),
        Just(b"NUB+x'".to_vec()),
        Just(b"OPU+x'".to_vec()),
        Just(b"TXT:1+".to_vec()),
        Just(b"?".to_vec()),
        Just(b"'".to_vec()),
        Just(b"+".to_vec()),
        Just(b":".to_vec()),
        Just(b"\r\n".to_vec()),
        Just("é€".as_bytes().to_vec()),
        any::<u8>().prop_map(|b| vec![b]),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

/// Writes `text` with every service character released.
fn release(text: &str) -> String {
    text.chars().fold(String::new(), |mut out, c| {
        if matches!(c, '?' | '\'' | '+' | ':') {
            out.push('?');
        }
        out.push(c);
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        read_everything(&bytes);
    }

    #[test]
    fn edifact_like_bytes_never_panic(bytes in edifact_like()) {
        read_everything(&bytes);
    }

    #[test]
    fn released_letter_text_reads_back_exactly(
        lines in prop::collection::vec("[ -~éëïöüÉÀ€Łł]{0,70}", 1..20),
        gap in prop_oneof![Just(""), Just("\n"), Just("\r\n"), Just("\r"), Just("\r\n  \t")],
        with_counters in any::<bool>(),
    ) {
        let mut segments = vec![
            "UNB+UNOY:3+500012345+500098765+240212:1105+R1'".to_owned(),
            "UNH+1+MEDVRI:1'".to_owned(),
            "PID+1980:10:25+V+Jansen++BSN999990019'".to_owned(),
        ];
        for (i, line) in lines.iter().enumerate() {
            let tag = if with_counters { format!("TXT:{}", i + 1) } else { "TXT".to_owned() };
            segments.push(format!("{tag}+{}'", release(line)));
        }
        segments.push(format!("UNT+{}+1'", lines.len() + 3));
        segments.push("UNZ+1+R1'".to_owned());
        let payload = segments.join(gap);
        let interchange = edifact::read(payload.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let messages = Message::read_all(&interchange);
        let Content::Medvri(letter) = &messages[0].content else {
            return Err(TestCaseError::fail("not a MEDVRI"));
        };
        prop_assert_eq!(&letter.lines, &lines);
        prop_assert!(messages[0].warnings.is_empty(), "{:?}", messages[0].warnings);
    }
}
