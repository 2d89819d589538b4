//! Sending the portal's e-mails (invitations, reset links, notices of a change) over SMTP.
//! Mails carry a link or a notice, never a password, code or anything from a message; the
//! recipient's address is never logged.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Message, SmtpTransport, Transport};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a server on the loopback address (the configuration checks that).
    None,
    /// STARTTLS on a plain connection, required (never falls back to plain).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// The `[smtp]` settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// The server's host name (also the name its certificate must carry).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// How the connection is protected.
    pub security: SmtpSecurity,
    /// The user name and password to log in with, if the server wants them.
    pub credentials: Option<(String, String)>,
    /// The sender, e.g. `ketenpost <noreply@zorggroep.example>`.
    pub from: String,
    /// How long the server may take to answer.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("credentials", &self.credentials.as_ref().map(|_| "***"))
            .field("from", &self.from)
            .finish()
    }
}

/// A mail that could not be sent; says where it went wrong without the recipient.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The sender or recipient is not an address.
    #[error("{what} is not a usable e-mail address")]
    Address {
        /// `smtp.from` or `the recipient`.
        what: &'static str,
    },
    /// The message could not be put together.
    #[error("the mail could not be composed: {0}")]
    Compose(String),
    /// The SMTP server could not be reached or refused the mail.
    #[error("the SMTP server {host}:{port} did not take the mail: {detail}")]
    Send {
        /// The server.
        host: String,
        /// Its port.
        port: u16,
        /// What went wrong.
        detail: String,
    },
}

/// One mail to send: plain text, Dutch.
#[derive(Clone)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Whether `from` is a sender the mails can carry (`name <address>` or an address).
pub fn usable_sender(from: &str) -> bool {
    from.parse::<Mailbox>().is_ok()
}

/// Sends `mail` through the server in `settings` (blocking: call it from a blocking task).
///
/// # Errors
/// An unusable address, or a server that cannot be reached or refuses.
pub fn send(settings: &SmtpSettings, mail: &Mail) -> Result<(), MailError> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|_| MailError::Address { what: "smtp.from" })?;
    let to: Mailbox = mail.to.parse().map_err(|_| MailError::Address {
        what: "the recipient",
    })?;
    let hello = ClientId::Domain(from.email.domain().to_owned());
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| MailError::Compose(e.to_string()))?;
    let failed = |detail: String| MailError::Send {
        host: settings.host.clone(),
        port: settings.port,
        detail,
    };
    let tls = match settings.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::StartTls | SmtpSecurity::Tls => {
            let parameters =
                TlsParameters::new(settings.host.clone()).map_err(|e| failed(e.to_string()))?;
            if settings.security == SmtpSecurity::Tls {
                Tls::Wrapper(parameters)
            } else {
                Tls::Required(parameters)
            }
        }
    };
    let mut builder = SmtpTransport::builder_dangerous(settings.host.clone())
        .port(settings.port)
        .tls(tls)
        .hello_name(hello)
        .timeout(Some(settings.timeout));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    builder
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| failed(e.to_string()))
}

/// The invitation: a one-time link to set a password, valid until `valid_until` (as people
/// read it).
pub fn invitation(to: &str, name: &str, link: &str, valid_until: &str) -> Mail {
    Mail {
        to: to.to_owned(),
        subject: "Uitnodiging voor het ketenpost-portaal".to_owned(),
        body: format!(
            "Beste {name},\n\n\
             U bent uitgenodigd voor het ketenpost-portaal. Kies via deze link een wachtwoord:\n\n\
             {link}\n\n\
             De link werkt één keer en is geldig tot {valid_until}. Daarna stelt u \
             twee-factorenauthenticatie in met een app op uw telefoon.\n\n\
             Heeft u deze uitnodiging niet verwacht? Dan kunt u deze e-mail negeren.\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_invitation_carries_the_link_and_no_debug_output_shows_the_recipient() {
        let mail = invitation(
            "anna@zorggroep.example",
            "Anna",
            "https://p.example/wachtwoord/abc",
            "7-12-2026 10:00",
        );
        assert!(mail.body.contains("https://p.example/wachtwoord/abc"));
        assert!(!format!("{mail:?}").contains("anna@"));
    }

    #[test]
    fn a_bad_sender_is_named() {
        let settings = SmtpSettings {
            host: "127.0.0.1".into(),
            port: 1,
            security: SmtpSecurity::None,
            credentials: Some(("u".into(), "geheim".into())),
            from: "not an address".into(),
            timeout: Duration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("geheim"));
        let err = send(&settings, &invitation("a@b.nl", "A", "l", "t")).unwrap_err();
        assert_eq!(err.to_string(), "smtp.from is not a usable e-mail address");
    }
}
