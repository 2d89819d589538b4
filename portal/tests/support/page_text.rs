//! Reading what a portal page shows, for the portal's tests and the daemon's (which include
//! this file): the text between two markers, and the enrolment's secret (base32) as bytes.

#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

/// The text between `start` and the next `end` in `body`.
pub fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} not in {body}"))
        + start.len();
    let to = body[from..].find(end).unwrap() + from;
    &body[from..to]
}

/// Base32 (RFC 4648, no padding) back to bytes; white space (as a page shows it) is skipped.
pub fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits = 0u32;
    let mut buffer = 0u64;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | ALPHABET.find(c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
