//! The service characters of an interchange: the defaults and the optional `UNA` that overrides them.

use super::error::{ParseError, ParseErrorKind, Position};

/// The characters that give an interchange its structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceChars {
    /// Separates the components of a composite element (default `:`).
    pub component: u8,
    /// Separates the elements of a segment (default `+`).
    pub element: u8,
    /// The decimal mark of numbers (default `.`; one circulating sample uses a space).
    pub decimal: u8,
    /// Makes the next byte literal (default `?`).
    pub release: u8,
    /// Ends a segment (default `'`).
    pub terminator: u8,
}

impl Default for ServiceChars {
    fn default() -> Self {
        Self {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: b'?',
            terminator: b'\'',
        }
    }
}

/// Reads an optional `UNA` at `start`; returns the service characters and where the next
/// segment begins.
///
/// Both the standard 6-character form (`UNA:+.? '`) and the 5-character form without the
/// repetition position (`UNA:+.?'`) are read: the form is the one after which an `UNB` or `UNH`
/// follows.
///
/// # Errors
/// A `UNA` that is too short, or after which neither form is followed by `UNB`/`UNH`.
pub(crate) fn read_una(input: &[u8], start: usize) -> Result<(ServiceChars, usize), ParseError> {
    let rest = &input[start..];
    if !rest.starts_with(b"UNA") {
        return Ok((ServiceChars::default(), start));
    }
    let error = |expected: &str| ParseError {
        kind: ParseErrorKind::BadUna {
            expected: expected.to_owned(),
        },
        position: Position {
            message: None,
            segment: Some(0),
            offset: start,
        },
    };
    if rest.len() < 8 {
        return Err(error("6 service characters after UNA"));
    }
    let chars = |terminator: u8| ServiceChars {
        component: rest[3],
        element: rest[4],
        decimal: rest[5],
        release: rest[6],
        terminator,
    };
    if rest.len() >= 9 && starts_next_segment(rest, 9) {
        return Ok((chars(rest[8]), start + 9));
    }
    if starts_next_segment(rest, 8) {
        return Ok((chars(rest[7]), start + 8));
    }
    if rest.len() >= 9 && rest[9..].iter().all(u8::is_ascii_whitespace) {
        return Err(error(
            "a segment (UNB or UNH) after UNA, found the end of the payload",
        ));
    }
    Err(error(
        "6 (or 5) service characters after UNA, followed by UNB or UNH",
    ))
}

fn starts_next_segment(rest: &[u8], from: usize) -> bool {
    let Some(tail) = rest.get(from..) else {
        return false;
    };
    let tail = &tail[tail.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
    tail.starts_with(b"UNB") || tail.starts_with(b"UNH")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_una_gives_the_defaults_and_leaves_the_input_alone() {
        assert_eq!(
            read_una(b"UNB+UNOA:1'", 0).unwrap(),
            (ServiceChars::default(), 0)
        );
    }

    #[test]
    fn six_character_una_with_a_space_as_decimal_mark() {
        let (chars, next) = read_una(b"UNA:+ ? '\nUNB+UNOC:1'", 0).unwrap();
        assert_eq!(chars.decimal, b' ');
        assert_eq!(chars.terminator, b'\'');
        assert_eq!(next, 9);
    }

    #[test]
    fn five_character_una_without_repetition_position() {
        let (chars, next) = read_una(b"UNA:+.?'UNB+UNOA:1'", 0).unwrap();
        assert_eq!(chars.release, b'?');
        assert_eq!(chars.terminator, b'\'');
        assert_eq!(next, 8);
    }

    #[test]
    fn other_service_characters_are_taken_over() {
        let (chars, _) = read_una(b"UNA|*.# ~UNH*1*MEDVRI|1~", 0).unwrap();
        assert_eq!(
            (
                chars.component,
                chars.element,
                chars.release,
                chars.terminator
            ),
            (b'|', b'*', b'#', b'~')
        );
    }

    #[test]
    fn truncated_una_says_what_was_expected() {
        let err = read_una(b"UNA:+", 0).unwrap_err();
        assert!(err.to_string().contains("service characters"), "{err}");
    }
}
