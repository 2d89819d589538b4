//! The payload store: each payload once, under its SHA-256 digest, encrypted with
//! XChaCha20-Poly1305. The nonce is derived from the key and the digest, so storing the same
//! payload twice writes the same bytes and no two payloads share a nonce.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use ketenpost_domain::ports::{AppendError, PayloadStore, ReadError};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::watch;

/// The first byte of a stored payload: the format of what follows.
const FORMAT: u8 = 1;

/// Payloads in a tree of the store, encrypted at rest.
pub struct DiskPayloadStore {
    tree: crate::event_log::store::Tree,
    cipher: XChaCha20Poly1305,
    key: [u8; 32],
    /// The log's failed state: an IO error storing a payload fails the log as the writer's do
    /// (the store takes no writes after one), so nothing more is retrieved that cannot be recorded.
    failure: Arc<watch::Sender<Option<String>>>,
}

impl DiskPayloadStore {
    pub(crate) fn new(
        tree: crate::event_log::store::Tree,
        key: [u8; 32],
        failure: Arc<watch::Sender<Option<String>>>,
    ) -> Self {
        Self {
            tree,
            cipher: XChaCha20Poly1305::new(&key.into()),
            key,
            failure,
        }
    }

    /// The data key (for keys derived from it).
    pub(crate) fn data_key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The digest of one payload it holds (the lowest), if any: one to try a key file with.
    /// (The payloads of the first messages received may be gone after their retention.)
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn any_digest(&self) -> Result<Option<String>, ReadError> {
        Ok(self
            .tree
            .first()
            .map_err(|e| ReadError::Storage(e.to_string()))?
            .map(|(key, _)| hex::encode(key)))
    }

    /// Describes a store error of `put`, failing the log on an IO error.
    fn stored(&self, digest: &str, error: &crate::event_log::store::StoreError) -> AppendError {
        let text = format!("storing payload {digest} failed: {error}");
        if matches!(error, crate::event_log::store::StoreError::Io(_)) {
            self.failure.send_if_modified(|failure| {
                let first = failure.is_none();
                if first {
                    *failure = Some(text.clone());
                }
                first
            });
        }
        AppendError::Storage(text)
    }

    fn nonce(&self, digest: &[u8]) -> XNonce {
        let mut hasher = Sha256::new();
        hasher.update(b"ketenpost payload nonce");
        hasher.update(self.key);
        hasher.update(digest);
        let full = hasher.finalize();
        *XNonce::from_slice(&full[..24])
    }
}

/// The SHA-256 digest of a payload, hex.
pub fn digest_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl PayloadStore for DiskPayloadStore {
    fn put(&self, bytes: &[u8]) -> Result<String, AppendError> {
        let raw_digest = Sha256::digest(bytes);
        let digest = hex::encode(raw_digest);
        let stored = |e: crate::event_log::store::StoreError| self.stored(&digest, &e);
        if self.tree.contains_key(raw_digest).map_err(stored)? {
            return Ok(digest);
        }
        let sealed = self
            .cipher
            .encrypt(&self.nonce(&raw_digest), bytes)
            .map_err(|_| AppendError::Storage("payload encryption failed".into()))?;
        let mut value = Vec::with_capacity(sealed.len() + 1);
        value.push(FORMAT);
        value.extend_from_slice(&sealed);
        self.tree.insert(raw_digest, value).map_err(stored)?;
        Ok(digest)
    }

    fn get(&self, digest: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let raw = hex::decode(digest)
            .map_err(|_| ReadError::Storage(format!("{digest:?} is not a digest")))?;
        let Some(value) = self
            .tree
            .get(&raw)
            .map_err(|e| ReadError::Storage(e.to_string()))?
        else {
            return Ok(None);
        };
        let damaged = |detail: &str| ReadError::Storage(format!("payload {digest}: {detail}"));
        let (&format, sealed) = value.split_first().ok_or_else(|| damaged("empty"))?;
        if format != FORMAT {
            return Err(damaged("unknown format"));
        }
        let plain = self
            .cipher
            .decrypt(&self.nonce(&raw), sealed)
            .map_err(|_| {
                damaged("does not decrypt with this key (damaged, or another key file)")
            })?;
        if Sha256::digest(&plain).as_slice() != raw.as_slice() {
            return Err(damaged("content does not match its digest"));
        }
        Ok(Some(plain))
    }
}
