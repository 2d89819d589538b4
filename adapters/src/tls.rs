//! TLS for the clients: the ring crypto provider, and client configurations for servers whose
//! CA and client certificate come from files (mutual TLS).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why a TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file that cannot be read or holds nothing usable.
    #[error("{path}: {detail}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// rustls refused the combination.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Makes ring the process's crypto provider (once; later calls do nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn file_error(path: &Path, detail: impl std::fmt::Display) -> TlsError {
    TlsError::File {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

/// A client configuration that trusts only the CA in `ca_cert` (PEM) and presents no
/// certificate of its own.
///
/// # Errors
/// The file cannot be read or holds no usable CA certificate.
pub fn server_trust_config(ca_cert: &Path) -> Result<rustls::ClientConfig, TlsError> {
    let roots = trusted_roots(ca_cert)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The CA certificates in `ca_cert` (PEM), at least one.
fn trusted_roots(ca_cert: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    let cas = CertificateDer::pem_file_iter(ca_cert)
        .map_err(|e| file_error(ca_cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(ca_cert, e))?;
    if cas.is_empty() {
        return Err(file_error(ca_cert, "no certificate in the file"));
    }
    for ca in cas {
        roots
            .add(ca)
            .map_err(|e| file_error(ca_cert, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// A client configuration that trusts only the CA in `ca_cert` and presents the certificate
/// chain in `client_cert` with the key in `client_key` (all PEM).
///
/// # Errors
/// A file that cannot be read or parsed, or a key that does not fit the certificate.
pub fn mutual_tls_config(
    ca_cert: &Path,
    client_cert: &Path,
    client_key: &Path,
    data_key: Option<&[u8; 32]>,
) -> Result<rustls::ClientConfig, TlsError> {
    let roots = trusted_roots(ca_cert)?;
    let chain = CertificateDer::pem_file_iter(client_cert)
        .map_err(|e| file_error(client_cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(client_cert, e))?;
    if chain.is_empty() {
        return Err(file_error(client_cert, "no certificate in the file"));
    }
    // The key is a secret: its errors never quote its content. It may be sealed with the
    // data key (`ketenpost seal`).
    let text = std::fs::read(client_key).map_err(|e| file_error(client_key, e))?;
    let pem = if crate::sealed::is_sealed(&String::from_utf8_lossy(&text)) {
        let data_key = data_key.ok_or_else(|| {
            file_error(client_key, "the key is sealed but no data key is available")
        })?;
        crate::sealed::open(data_key, &String::from_utf8_lossy(&text))
            .map_err(|e| file_error(client_key, e))?
    } else {
        text
    };
    let key = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|_| file_error(client_key, "no readable private key in the file"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .map_err(|e| TlsError::Config(format!("client certificate and key: {e}")))
}
