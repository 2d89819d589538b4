//! The shape of the configuration (which keys exist, of what type) and a checker that walks a
//! parsed file against it, collecting every problem with its full dotted key in plain words.
//!
//! The file is first read into a `serde_json::Value` and checked here; only parts that passed
//! are deserialized into the typed structs of `file.rs`. A hand-written walk, rather than
//! serde's own errors, because serde stops at the first problem, speaks of "64-bit integers"
//! and "maps", and knows nothing of the key that was meant when one is misspelt.

use serde_json::{Map, Value};

/// What a key holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Text.
    Text,
    /// Text that is a secret: never shown, also not when it is wrong.
    Secret,
    /// A whole number from the given minimum up.
    Number(u64),
    /// `true` or `false`.
    Bool,
    /// A list of text values.
    TextList,
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A table with these keys.
    Table(&'static [Key]),
    /// Tables by name (`[routes.NAME]`), each with these keys.
    Named(&'static [Key]),
    /// A list of tables (`[[mailboxes]]`), each with these keys.
    List(&'static [Key]),
}

/// One key of a table.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether it must be given.
    pub required: bool,
}

/// A key that must be given.
pub const fn required(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: true,
    }
}

/// A key that may be left out.
pub const fn optional(name: &'static str, kind: Kind) -> Key {
    Key {
        name,
        kind,
        required: false,
    }
}

/// Checks `value` at `key` against `kind`, adding each problem to `problems`. Text that holds a
/// number or `true`/`false` (as environment variables do) is turned into one where one is
/// wanted. Returns whether the value is usable.
pub fn check(key: &str, value: &mut Value, kind: Kind, problems: &mut Vec<String>) -> bool {
    let before = problems.len();
    match kind {
        Kind::Text => expect(key, value.is_string(), kind, value, problems),
        Kind::Secret => {
            if !value.is_string() {
                problems.push(format!("{key} (a secret, not shown): use text in quotes"));
            }
        }
        Kind::Number(min) => {
            if let Some(n) = value.as_str().and_then(|s| s.trim().parse::<i64>().ok()) {
                *value = Value::from(n);
            }
            let ok = value
                .as_i64()
                .is_some_and(|n| u64::try_from(n).is_ok_and(|n| n >= min));
            expect(key, ok, kind, value, problems);
        }
        Kind::Bool => {
            if let Some(b) = value.as_str().and_then(|s| s.trim().parse::<bool>().ok()) {
                *value = Value::Bool(b);
            }
            expect(key, value.is_boolean(), kind, value, problems);
        }
        Kind::TextList => {
            let all_text = value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string));
            expect(key, all_text, kind, value, problems);
        }
        Kind::OneOf(words) => {
            let ok = value.as_str().is_some_and(|s| words.contains(&s));
            expect(key, ok, kind, value, problems);
        }
        Kind::Table(keys) => table(key, value, keys, problems),
        Kind::Named(keys) => match value.as_object_mut() {
            Some(tables) => {
                for (name, table_value) in tables.iter_mut() {
                    table(&format!("{key}.{name}"), table_value, keys, problems);
                }
            }
            None => problems.push(format!(
                "{key} = {}: use {}",
                shown(value),
                wanted(kind, key)
            )),
        },
        Kind::List(keys) => match value.as_array_mut() {
            Some(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    table(&format!("{key}[{index}]"), item, keys, problems);
                }
            }
            None => problems.push(format!(
                "{key} = {}: use {}",
                shown(value),
                wanted(kind, key)
            )),
        },
    }
    problems.len() == before
}

/// Checks one table: its type, every key in it, required keys, unknown keys.
fn table(key: &str, value: &mut Value, keys: &[Key], problems: &mut Vec<String>) {
    let Some(map) = value.as_object_mut() else {
        problems.push(format!("{key} = {}: use a [{key}] table", shown(value)));
        return;
    };
    check_keys(key, map, keys, problems);
}

/// Checks the keys of a table.
fn check_keys(
    prefix: &str,
    map: &mut Map<String, Value>,
    keys: &[Key],
    problems: &mut Vec<String>,
) {
    refuse_unknown(prefix, map, keys, problems);
    for (name, value) in map.iter_mut() {
        if let Some(known) = keys.iter().find(|k| k.name == name) {
            check(&format!("{prefix}.{name}"), value, known.kind, problems);
        }
    }
    for key in keys
        .iter()
        .filter(|k| k.required && !map.contains_key(k.name))
    {
        problems.push(missing(&format!("{prefix}.{}", key.name), key.kind));
    }
}

/// Reports every key of `map` that is not one of `keys`, with the nearest known key
/// (`prefix` is empty for the top level).
pub fn refuse_unknown(
    prefix: &str,
    map: &Map<String, Value>,
    keys: &[Key],
    problems: &mut Vec<String>,
) {
    for name in map
        .keys()
        .filter(|name| !keys.iter().any(|k| k.name == *name))
    {
        let dotted = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        problems.push(unknown(&dotted, name, keys));
    }
}

fn unknown(dotted: &str, name: &str, keys: &[Key]) -> String {
    let nearest = keys
        .iter()
        .map(|k| (distance(name, k.name), k.name))
        .min()
        .filter(|(d, known)| *d <= 2.max(known.len() / 3));
    match nearest {
        Some((_, known)) => format!("{dotted} is not a known key: did you mean {known}?"),
        None => {
            let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
            format!(
                "{dotted} is not a known key: known here are {}",
                names.join(", ")
            )
        }
    }
}

fn expect(key: &str, ok: bool, kind: Kind, value: &Value, problems: &mut Vec<String>) {
    if !ok {
        problems.push(format!(
            "{key} = {}: use {}",
            shown(value),
            wanted(kind, key)
        ));
    }
}

/// The problem of a required key that is not given.
pub fn missing(key: &str, kind: Kind) -> String {
    format!(
        "{key} is missing: it must be given, as {}",
        wanted(kind, key)
    )
}

/// What a key of `kind` at `key` may hold, in plain words.
fn wanted(kind: Kind, key: &str) -> String {
    let last = key.rsplit(['.', '[']).next().unwrap_or(key);
    match kind {
        Kind::Text | Kind::Secret => "text in quotes".to_owned(),
        Kind::Number(min) => format!("a whole number of {min} or more"),
        Kind::Bool => "true or false".to_owned(),
        Kind::TextList => "a list of text, like [\"a\", \"b\"]".to_owned(),
        Kind::OneOf(words) => format!("one of {}", quoted(words)),
        Kind::Table(_) => format!("a [{key}] table"),
        Kind::Named(_) => format!("[{key}.NAME] tables"),
        Kind::List(_) => format!("[[{last}]] tables"),
    }
}

/// A value as the operator wrote it, shortened; a table or list is named, not shown.
fn shown(value: &Value) -> String {
    match value {
        Value::Object(_) => "a table".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        other => {
            let text = other.to_string();
            if text.chars().count() > 40 {
                format!("{}...", text.chars().take(40).collect::<String>())
            } else {
                text
            }
        }
    }
}

fn quoted(words: &[&str]) -> String {
    let words: Vec<String> = words.iter().map(|w| format!("{w:?}")).collect();
    words.join(", ")
}

/// The edit distance between two keys (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEYS: &[Key] = &[
        required("route", Kind::Text),
        optional("workers", Kind::Number(1)),
        optional("poll_interval", Kind::Text),
    ];

    #[test]
    fn every_problem_is_named_at_once() {
        let mut value = json!({ "workers": -3, "poll_intervall": "5s", "extra": 1 });
        let mut problems = Vec::new();
        assert!(!check(
            "mailboxes[0]",
            &mut value,
            Kind::Table(KEYS),
            &mut problems
        ));
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems
            .contains(&"mailboxes[0].workers = -3: use a whole number of 1 or more".to_owned()));
        assert!(problems.contains(
            &"mailboxes[0].poll_intervall is not a known key: did you mean poll_interval?"
                .to_owned()
        ));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("mailboxes[0].extra is not a known key: known here are route")));
        assert!(problems.contains(
            &"mailboxes[0].route is missing: it must be given, as text in quotes".to_owned()
        ));
    }

    #[test]
    fn text_from_the_environment_becomes_a_number() {
        let mut value = json!({ "route": "r", "workers": "4" });
        let mut problems = Vec::new();
        assert!(
            check("x", &mut value, Kind::Table(KEYS), &mut problems),
            "{problems:?}"
        );
        assert_eq!(value["workers"], json!(4));
    }

    #[test]
    fn a_secret_of_the_wrong_type_is_not_shown() {
        let mut value = json!(123456789);
        let mut problems = Vec::new();
        assert!(!check("api.token", &mut value, Kind::Secret, &mut problems));
        assert_eq!(
            problems,
            ["api.token (a secret, not shown): use text in quotes"]
        );
    }

    #[test]
    fn distances() {
        assert_eq!(distance("poll_intervall", "poll_interval"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
