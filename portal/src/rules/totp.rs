//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP with HMAC-SHA-1): 6 digits,
//! 30-second steps, one step of clock drift either way, and a step once used (or any before
//! it) is refused, so a code seen over a shoulder or replayed is worth nothing.
//!
//! Written here over `hmac` + `sha1` (what authenticator apps implement) instead of taking the
//! `totp-rs` crate: the algorithm is 20 lines, and the drift and replay rules are the part that
//! matters and are stated and tested below.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// The length of a step, in seconds.
pub const STEP_SECONDS: u64 = 30;
/// How many digits a code has.
pub const DIGITS: u32 = 6;
/// How many steps a code may be off either way (clock drift of the phone).
pub const DRIFT_STEPS: u64 = 1;
/// The secret's length in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// Why a code is refused. The user is told the same for each (see the login page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefused {
    /// Not six digits.
    #[error("the code is not six digits")]
    Malformed,
    /// No step within the drift gives this code.
    #[error("the code does not match")]
    Wrong,
    /// It matches a step that was used already (or one before it).
    #[error("the code was used already")]
    Replayed,
}

/// The step a moment falls in (seconds since 1970-01-01 UTC).
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The code of `step` for `secret` (RFC 4226 section 5.3: dynamic truncation).
pub fn code_at_step(secret: &[u8], step: u64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        // HMAC takes keys of any length; this cannot happen.
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = (u32::from(hash[offset]) & 0x7f) << 24
        | u32::from(hash[offset + 1]) << 16
        | u32::from(hash[offset + 2]) << 8
        | u32::from(hash[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

/// Checks `code` at time `unix_seconds`: it must be the code of the current step or one step
/// either side, and that step must be after `last_used_step`. Returns the step it matched, to
/// be recorded as used. Spaces in the code are ignored (apps show `123 456`).
///
/// # Errors
/// Malformed, wrong, or replayed.
pub fn check(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_used_step: Option<u64>,
) -> Result<u64, CodeRefused> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CodeRefused::Malformed);
    }
    let given: u32 = digits.parse().map_err(|_| CodeRefused::Malformed)?;
    let now = step_at(unix_seconds);
    let mut replayed = false;
    for step in now.saturating_sub(DRIFT_STEPS)..=now + DRIFT_STEPS {
        // Every candidate is computed and compared, so the time taken does not say which
        // step matched.
        if code_at_step(secret, step) == given {
            if last_used_step.is_some_and(|last| step <= last) {
                replayed = true;
            } else {
                return Ok(step);
            }
        }
    }
    Err(if replayed {
        CodeRefused::Replayed
    } else {
        CodeRefused::Wrong
    })
}

/// A secret as the user types it into an app: RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The `otpauth://` URI an app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    char::from(b).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    const SECRET: &[u8] = b"12345678901234567890";

    fn code(unix_seconds: u64) -> String {
        format!("{:06}", code_at_step(SECRET, step_at(unix_seconds)))
    }

    #[test]
    fn the_rfc_6238_test_vectors_give_their_last_six_digits() {
        assert_eq!(code(59), "287082");
        assert_eq!(code(1_111_111_109), "081804");
        assert_eq!(code(1_111_111_111), "050471");
        assert_eq!(code(1_234_567_890), "005924");
        assert_eq!(code(2_000_000_000), "279037");
    }

    #[test]
    fn a_code_of_the_current_step_counts_and_spaces_are_ignored() {
        let now = 1_234_567_890;
        assert_eq!(check(SECRET, "005 924", now, None), Ok(step_at(now)));
    }

    #[test]
    fn one_step_of_drift_either_way_counts_and_two_do_not() {
        let now = 1_234_567_890;
        let at = |s: u64| format!("{:06}", code_at_step(SECRET, s));
        let step = step_at(now);
        assert_eq!(check(SECRET, &at(step - 1), now, None), Ok(step - 1));
        assert_eq!(check(SECRET, &at(step + 1), now, None), Ok(step + 1));
        assert_eq!(
            check(SECRET, &at(step - 2), now, None),
            Err(CodeRefused::Wrong)
        );
        assert_eq!(
            check(SECRET, &at(step + 2), now, None),
            Err(CodeRefused::Wrong)
        );
    }

    #[test]
    fn a_used_step_and_the_steps_before_it_are_refused() {
        let now = 1_234_567_890;
        let step = step_at(now);
        assert_eq!(
            check(SECRET, "005924", now, Some(step)),
            Err(CodeRefused::Replayed)
        );
        let previous = format!("{:06}", code_at_step(SECRET, step - 1));
        assert_eq!(
            check(SECRET, &previous, now, Some(step)),
            Err(CodeRefused::Replayed)
        );
        let next = format!("{:06}", code_at_step(SECRET, step + 1));
        assert_eq!(check(SECRET, &next, now, Some(step)), Ok(step + 1));
    }

    #[test]
    fn anything_but_six_digits_is_malformed() {
        for code in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                check(SECRET, code, 59, None),
                Err(CodeRefused::Malformed),
                "{code}"
            );
        }
    }

    #[test]
    fn base32_is_rfc_4648_without_padding() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = otpauth_uri("ketenpost", "a@b.nl", SECRET);
        assert!(
            uri.starts_with("otpauth://totp/ketenpost:a@b.nl?secret=GEZDG"),
            "{uri}"
        );
    }
}
