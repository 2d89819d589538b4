//! Where the configuration comes from: the embedded defaults, then the file, then `KETENPOST_`
//! environment variables, merged into one tree. Relative paths in the file are taken relative
//! to the file's own folder, so that a command gives the same answer from any folder.

use std::path::Path;

use serde_json::{Map, Value};

/// The keys whose values are paths, by where they are (`*` is any entry).
const PATH_KEYS: &[&[&str]] = &[
    &["data_dir"],
    &["key_file"],
    &["amqp", "ca_cert"],
    &["mailboxes", "*", "ca_cert"],
    &["mailboxes", "*", "path"],
    &["record_systems", "*", "client_cert"],
    &["record_systems", "*", "client_key"],
    &["record_systems", "*", "ca_cert"],
];

/// The merged tree. Environment variables that name no top-level key in `known` are left
/// out: other programs' `KETENPOST_` variables (`KETENPOST_STANDINS_PASSWORD`) are not ours.
///
/// # Errors
/// The file does not exist or is not TOML; the message names it (and the line, as the TOML
/// reader gives it).
pub fn merged(
    defaults: &str,
    path: Option<&Path>,
    known: &[&str],
) -> Result<Map<String, Value>, String> {
    let mut root = tree(config::File::from_str(defaults, config::FileFormat::Toml))?;
    if let Some(path) = path {
        if !path.is_file() {
            return Err(format!(
                "the configuration file {} does not exist",
                path.display()
            ));
        }
        let mut file =
            tree(config::File::from(path.to_path_buf()).format(config::FileFormat::Toml))?;
        let folder = std::path::absolute(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        for keys in PATH_KEYS {
            anchor(&mut file, keys, &folder);
        }
        merge(&mut root, file);
    }
    let mut environment = tree(
        config::Environment::with_prefix("KETENPOST")
            .prefix_separator("_")
            .separator("__"),
    )?;
    environment.retain(|key, _| known.contains(&key.as_str()));
    merge(&mut root, environment);
    Ok(root)
}

/// One source as a tree.
fn tree(source: impl config::Source + Send + Sync + 'static) -> Result<Map<String, Value>, String> {
    let value: Value = config::Config::builder()
        .add_source(source)
        .build()
        .and_then(config::Config::try_deserialize)
        .map_err(|e| e.to_string())?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

/// Makes the relative path at `keys` (if any) relative to `folder`.
fn anchor(map: &mut Map<String, Value>, keys: &[&str], folder: &Path) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    let Some(value) = map.get_mut(*first) else {
        return;
    };
    if rest.is_empty() {
        if let Value::String(text) = value {
            if Path::new(text.as_str()).is_relative() && !text.is_empty() {
                *text = folder.join(text.as_str()).display().to_string();
            }
        }
        return;
    }
    let (next, rest) = if rest.first() == Some(&"*") {
        (true, &rest[1..])
    } else {
        (false, rest)
    };
    match value {
        Value::Object(inner) if next => {
            for entry in inner.values_mut() {
                if let Value::Object(entry) = entry {
                    anchor(entry, rest, folder);
                }
            }
        }
        Value::Array(items) if next => {
            for item in items {
                if let Value::Object(item) = item {
                    anchor(item, rest, folder);
                }
            }
        }
        Value::Object(inner) => anchor(inner, rest, folder),
        _ => {}
    }
}

/// Lays `over` over `base`: tables are merged key by key, anything else replaced.
fn merge(base: &mut Map<String, Value>, over: Map<String, Value>) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(inner)), Value::Object(value)) => merge(inner, value),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relative_paths_are_anchored_at_the_file_and_absolute_ones_kept() {
        let mut file = json!({
            "data_dir": "data",
            "mailboxes": [{ "path": "in" }, { "path": "/abs/in" }],
            "record_systems": { "ons": { "client_cert": "certs/c.pem" } },
        });
        let Value::Object(map) = &mut file else {
            unreachable!()
        };
        for keys in PATH_KEYS {
            anchor(map, keys, Path::new("/etc/k"));
        }
        assert_eq!(file["data_dir"], json!("/etc/k/data"));
        assert_eq!(file["mailboxes"][0]["path"], json!("/etc/k/in"));
        assert_eq!(file["mailboxes"][1]["path"], json!("/abs/in"));
        assert_eq!(
            file["record_systems"]["ons"]["client_cert"],
            json!("/etc/k/certs/c.pem")
        );
    }
}
