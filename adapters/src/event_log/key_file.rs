//! The data key: 32 random bytes in a file made with mode 0600 on first start.
//! Losing it makes every stored payload unreadable: back it up apart from the data.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why the key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading, creating or writing the file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The file does not hold 64 hex digits.
    #[error("key file {0} does not hold a 256-bit key as 64 hex digits")]
    Malformed(String),
    /// Others may read the key.
    #[error("key file {0} may be read by others (mode {1:o}): chmod 600 it")]
    TooOpen(String, u32),
    /// No randomness for a new key.
    #[error("no randomness for a new key: {0}")]
    Random(String),
}

/// Loads the key at `path`, or makes a new one there (mode 0600) when it does not exist.
///
/// # Errors
/// The file cannot be read or made, holds no key, or is readable by others.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let name = path.display().to_string();
    let io = |source| KeyFileError::Io {
        path: name.clone(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(KeyFileError::TooOpen(name, mode));
            }
            let bytes =
                hex::decode(text.trim()).map_err(|_| KeyFileError::Malformed(name.clone()))?;
            bytes.try_into().map_err(|_| KeyFileError::Malformed(name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::getrandom(&mut key).map_err(|e| KeyFileError::Random(e.to_string()))?;
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .map_err(io)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(io)?;
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())
                .map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_is_made_with_mode_0600_and_read_back() {
        let dir = std::env::temp_dir().join(format!("ketenpost-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("data.key");
        let key = load_or_create(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(load_or_create(&path).unwrap(), key);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load_or_create(&path),
            Err(KeyFileError::TooOpen(_, 0o644))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
