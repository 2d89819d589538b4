//! Opening the secrets that are stored sealed with the data key (`ketenpost seal`): the API
//! token, mailbox passwords, the broker's URL and the record systems' client keys. Plain values still work; a
//! sealed value that does not open is a configuration problem naming its key.

use std::path::Path;

use ketenpost_adapters::event_log::load_or_create_key;
use ketenpost_adapters::sealed::{is_sealed, open};

use super::{ConfigError, MailboxKind, Secret, Settings};

/// Opens every sealed secret in `settings` with the data key from `settings.key_file`.
pub fn unseal(settings: &mut Settings) -> Result<(), ConfigError> {
    if let Some(smtp) = settings.smtp.take() {
        settings.smtp = Some(open_smtp(smtp, &settings.key_file)?);
    }
    let sealed_key_files: Vec<String> = settings
        .record_systems
        .iter()
        .filter(|(_, ons)| {
            std::fs::read(&ons.client_key)
                .is_ok_and(|bytes| is_sealed(&String::from_utf8_lossy(&bytes)))
        })
        .map(|(name, _)| name.clone())
        .collect();
    let any_sealed = is_sealed(settings.api.token.expose())
        || settings
            .amqp
            .as_ref()
            .is_some_and(|amqp| is_sealed(amqp.url.expose()))
        || settings
            .api
            .tokens
            .iter()
            .any(|(_, t)| is_sealed(t.expose()))
        || !sealed_key_files.is_empty()
        || settings
            .mailboxes
            .iter()
            .any(|m| matches!(&m.kind, MailboxKind::ZorgMail(z) if is_sealed(&z.password)));
    if !any_sealed {
        return Ok(());
    }
    let key_file = settings.key_file.clone();
    let key = data_key(&key_file)?;
    let mut problems = Vec::new();
    let mut opened = |what: &str, text: &str| -> Option<String> {
        match open(&key, text).map(String::from_utf8) {
            Ok(Ok(plain)) => Some(plain),
            Ok(Err(_)) => {
                problems.push(format!("{what}: the sealed value is not text"));
                None
            }
            Err(e) => {
                problems.push(format!("{what}: {e} ({})", key_file.display()));
                None
            }
        }
    };
    if is_sealed(settings.api.token.expose()) {
        if let Some(token) = opened("api.token", settings.api.token.expose()) {
            settings.api.token = Secret::new(token);
        }
    }
    for (name, token) in &mut settings.api.tokens {
        if is_sealed(token.expose()) {
            if let Some(plain) = opened(&format!("api.tokens {name}"), token.expose()) {
                *token = Secret::new(plain);
            }
        }
    }
    for (index, mailbox) in settings.mailboxes.iter_mut().enumerate() {
        if let MailboxKind::ZorgMail(z) = &mut mailbox.kind {
            if is_sealed(&z.password) {
                if let Some(password) = opened(&format!("mailboxes[{index}].password"), &z.password)
                {
                    z.password = password;
                }
            }
        }
    }
    // Checked once opened; the problems join the others after the last secret is opened.
    let mut url_problems = Vec::new();
    if let Some(amqp) = &mut settings.amqp {
        if is_sealed(amqp.url.expose()) {
            if let Some(url) = opened("amqp.url", amqp.url.expose()) {
                amqp.url = Secret::new(url.trim());
                super::amqp::check_url(amqp.url.expose(), &mut url_problems);
            }
        }
    }
    for name in sealed_key_files {
        if let Some(ons) = settings.record_systems.get_mut(&name) {
            ons.data_key = Some(key);
        }
    }
    problems.extend(url_problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError { problems })
    }
}

/// The API token, opened with the key in `key_file` when it is sealed.
pub fn open_token(token: &Secret, key_file: &Path) -> Result<Secret, ConfigError> {
    if !is_sealed(token.expose()) {
        return Ok(token.clone());
    }
    let key = data_key(key_file)?;
    match open(&key, token.expose()).map(String::from_utf8) {
        Ok(Ok(plain)) => Ok(Secret::new(plain)),
        Ok(Err(_)) => Err(ConfigError {
            problems: vec!["api.token: the sealed value is not text".to_owned()],
        }),
        Err(e) => Err(ConfigError {
            problems: vec![format!("api.token: {e} ({})", key_file.display())],
        }),
    }
}

/// `[smtp]` with its password opened with the key in `key_file` when it is sealed.
pub fn open_smtp(
    mut smtp: super::SmtpSettings,
    key_file: &Path,
) -> Result<super::SmtpSettings, ConfigError> {
    if let Some((user, password)) = &smtp.credentials {
        if is_sealed(password) {
            let opened =
                open_token(&Secret::new(password.clone()), key_file).map_err(|e| ConfigError {
                    problems: e
                        .problems
                        .iter()
                        .map(|p| p.replacen("api.token", "smtp.password", 1))
                        .collect(),
                })?;
            smtp.credentials = Some((user.clone(), opened.expose().to_owned()));
        }
    }
    Ok(smtp)
}

fn data_key(path: &Path) -> Result<[u8; 32], ConfigError> {
    if !path.is_file() {
        return Err(ConfigError {
            problems: vec![format!(
                "key_file = {}: no such file, and sealed secrets need the data key that sealed them",
                path.display()
            )],
        });
    }
    load_or_create_key(path).map_err(|e| ConfigError {
        problems: vec![format!("key_file: {e}")],
    })
}
