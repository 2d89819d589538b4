//! The data key: 32 random bytes in a file made with mode 0600 on first start.
//! Losing it makes every stored payload unreadable: back it up apart from the data.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

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
    match std::fs::read_to_string(path) {
        Ok(text) => {
            remove_stale_attempts(path);
            parse(path, &text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(io_error(path, e)),
    }
}

/// Loads the key at `path`, which must exist: for a process that uses the daemon's key and
/// must never make one of its own (a worker).
///
/// # Errors
/// The file cannot be read, holds no key, or is readable by others.
pub fn load(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    parse(path, &text)
}

/// The key in `text`, read from `path`.
fn parse(path: &Path, text: &str) -> Result<[u8; 32], KeyFileError> {
    let name = path.display().to_string();
    let mode = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen(name, mode));
    }
    let bytes = hex::decode(text.trim()).map_err(|_| KeyFileError::Malformed(name.clone()))?;
    bytes.try_into().map_err(|_| KeyFileError::Malformed(name))
}

/// New keys made by this process: with its id, the name of each one's own file (threads of
/// one process may race too).
static NEW_KEYS: AtomicU64 = AtomicU64::new(0);

/// Makes a new key at `path`, whole or not at all. Processes started together (the owner and
/// its workers) may each find no key: a file made in place could be read empty by another in
/// the moment before it is written, which then has no key (or a second one) for good. So the
/// key is written to a file of this process's own, synced, and linked to `path`; the link
/// fails when another process made the key first, and then that key is the key.
fn create(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let io = |source| io_error(path, source);
    let mut key = [0u8; 32];
    getrandom::getrandom(&mut key).map_err(|e| KeyFileError::Random(e.to_string()))?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(io)?;
    }
    let mut own = path.as_os_str().to_owned();
    own.push(format!(
        ".new-{}-{}",
        std::process::id(),
        NEW_KEYS.fetch_add(1, Ordering::Relaxed)
    ));
    let own = std::path::PathBuf::from(own);
    // Left by an earlier process of the same id that stopped half-way: never the key.
    let _ = std::fs::remove_file(&own);
    remove_stale_attempts(path);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&own)
        .and_then(|mut file| {
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::hard_link(&own, path));
    let _ = std::fs::remove_file(&own);
    match written {
        Ok(()) => {
            if let Some(parent) = parent {
                std::fs::File::open(parent)
                    .and_then(|folder| folder.sync_all())
                    .map_err(io)?;
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(io)?;
            parse(path, &text)
        }
        Err(e) => Err(io(e)),
    }
}

/// How old another process's unfinished key file must be before it is taken for the remains
/// of a crash: processes that start together make theirs within the same moment.
const STALE_ATTEMPT: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the files of earlier attempts to make the key at `path` (`NAME.new-PID-N`) that a
/// crash left behind: none of them is the key, and a stray key-like file beside the key would
/// leave an operator (or a backup script copying `data.key*`) guessing which one is.
fn remove_stale_attempts(path: &Path) {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let folder = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let mut prefix = name.to_owned();
    prefix.push(".new-");
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .as_encoded_bytes()
            .starts_with(prefix.as_encoded_bytes());
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age >= STALE_ATTEMPT);
        if ours && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Reading or writing `path` failed.
fn io_error(path: &Path, source: std::io::Error) -> KeyFileError {
    KeyFileError::Io {
        path: path.display().to_string(),
        source,
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

    #[test]
    fn loading_makes_no_key() {
        let dir = std::env::temp_dir().join(format!("ketenpost-key-load-{}", std::process::id()));
        let path = dir.join("data.key");
        assert!(matches!(load(&path), Err(KeyFileError::Io { .. })));
        assert!(!path.exists(), "no key made");
        let made = load_or_create(&path).unwrap();
        assert_eq!(load(&path).unwrap(), made);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn what_a_crash_left_of_making_the_key_is_removed_at_the_next_start() {
        let dir = std::env::temp_dir().join(format!("ketenpost-key-stale-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("data.key");
        let stale = dir.join("data.key.new-4242-0");
        let fresh = dir.join("data.key.new-4243-0");
        let other = dir.join("data.key.bak");
        // A file of an attempt, last written `age` ago.
        let attempt = |file: &Path, age: std::time::Duration| {
            std::fs::write(file, "00").unwrap();
            std::fs::File::options()
                .write(true)
                .open(file)
                .unwrap()
                .set_modified(std::time::SystemTime::now() - age)
                .unwrap();
        };
        let crashed = 2 * STALE_ATTEMPT;
        attempt(&stale, crashed);
        attempt(&fresh, std::time::Duration::ZERO);
        attempt(&other, crashed);
        let key = load_or_create(&path).unwrap();
        assert!(!stale.exists(), "a crash's remains are removed");
        assert!(
            fresh.exists(),
            "another process's attempt in progress is left alone"
        );
        assert!(other.exists(), "only attempts at the key");
        // A crash after the key was linked into place, before its own file was removed: the
        // next start finds the key and still removes the rest.
        attempt(&stale, crashed);
        assert_eq!(load_or_create(&path).unwrap(), key);
        assert!(!stale.exists(), "removed by a start that finds the key");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn processes_starting_together_all_get_the_one_key() {
        let dir = std::env::temp_dir().join(format!("ketenpost-key-race-{}", std::process::id()));
        for round in 0..20 {
            let _ = std::fs::remove_dir_all(&dir);
            let path = dir.join("data.key");
            let keys: Vec<_> = (0..4)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || load_or_create(&path).unwrap())
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            assert!(keys.iter().all(|k| *k == keys[0]), "round {round}");
            assert_eq!(load_or_create(&path).unwrap(), keys[0]);
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the key");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
