//! `[portal]` and `[smtp]`: where the portal listens and under which address it is reached,
//! how long its sessions last, and the mail server its e-mails go through. Both sections are
//! optional: without `[portal]` no portal is served; without `[smtp]` no mail is sent (and
//! `ketenpost user add` needs `--print-link`).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ketenpost_portal::mail::{SmtpSecurity, SmtpSettings};
use ketenpost_portal::rules::proxy::Network;
use ketenpost_portal::rules::session::{SessionLimits, MAX_REMEMBER_MS};
use serde::Deserialize;

use super::limits::{HttpLimits, HttpLimitsFile};
use super::schema::{optional, required, Key, Kind};
use super::secret::Secret;

const LIMITS: &[Key] = &[
    optional("header_timeout", Kind::Text),
    optional("request_timeout", Kind::Text),
    optional("max_connections", Kind::Number(1)),
    optional("shutdown_grace", Kind::Text),
];

/// The keys of `[portal]`.
pub const PORTAL: &[Key] = &[
    required("listen", Kind::Text),
    required("public_url", Kind::Text),
    optional("tls_cert", Kind::Text),
    optional("tls_key", Kind::Text),
    optional("session_idle", Kind::Text),
    optional("session_absolute", Kind::Text),
    optional("remember_for", Kind::Text),
    optional("trusted_proxies", Kind::TextList),
    optional("server_timing", Kind::Bool),
    optional("limits", Kind::Table(LIMITS)),
];

/// The keys of `[smtp]`.
pub const SMTP: &[Key] = &[
    required("host", Kind::Text),
    optional("port", Kind::Number(1)),
    required("security", Kind::OneOf(&["none", "starttls", "tls"])),
    optional("username", Kind::Text),
    optional("password", Kind::Secret),
    required("from", Kind::Text),
    optional("timeout", Kind::Text),
];

/// `[portal]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalFile {
    /// The address to listen on.
    pub listen: String,
    /// The base of links in e-mails, e.g. `https://portaal.zorggroep.example`.
    pub public_url: String,
    /// The certificate chain (PEM); without it the portal serves plain http for a TLS proxy.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM); a secret file.
    pub tls_key: Option<PathBuf>,
    /// Idle timeout, default `30m`.
    pub session_idle: Option<String>,
    /// Absolute timeout, default `12h`.
    pub session_absolute: Option<String>,
    /// How long "Onthouden" keeps a login, default and at most `14d`.
    pub remember_for: Option<String>,
    /// The networks of TLS proxies whose `X-Forwarded-For` names the client (default none).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Send `Server-Timing` with every answer (measurements only; default off).
    #[serde(default)]
    pub server_timing: bool,
    /// `[portal.limits]`, as `[api.limits]`.
    #[serde(default)]
    pub limits: HttpLimitsFile,
}

/// `[smtp]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpFile {
    /// The server.
    pub host: String,
    /// Its port (default 587 for starttls, 465 for tls, 25 for none).
    pub port: Option<u16>,
    /// `none`, `starttls` or `tls`.
    pub security: String,
    /// The user name, if the server wants a login.
    pub username: Option<String>,
    /// The password (may be sealed).
    pub password: Option<Secret>,
    /// The sender.
    pub from: String,
    /// How long the server may take to answer, default `30s`.
    pub timeout: Option<String>,
}

/// The validated `[portal]`.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The base of links in e-mails, without a trailing `/`.
    pub public_url: String,
    /// The certificate and key, when the portal serves TLS itself.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// How long sessions last.
    pub sessions: SessionLimits,
    /// What protects the listener (as the API's).
    pub limits: HttpLimits,
    /// The TLS proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<Network>,
    /// Whether answers carry `Server-Timing`.
    pub server_timing: bool,
}

fn millis(key: &str, text: Option<&str>, default: Duration, problems: &mut Vec<String>) -> i64 {
    let duration = match text {
        Some(text) => super::validate::duration(key, text, problems).unwrap_or(default),
        None => default,
    };
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Validates `[portal]`, adding each problem (naming its key) to `problems`.
pub fn portal(file: PortalFile, problems: &mut Vec<String>) -> PortalSettings {
    let listen = file.listen.parse().unwrap_or_else(|_| {
        problems.push(format!(
            "portal.listen = {:?}: use an address like \"127.0.0.1:8443\"",
            file.listen
        ));
        SocketAddr::from(([127, 0, 0, 1], 8443))
    });
    let public_url = file.public_url.trim().trim_end_matches('/').to_owned();
    let plain_local = public_url.starts_with("http://localhost")
        || public_url.starts_with("http://127.")
        || public_url.starts_with("http://[::1]");
    if !(public_url.starts_with("https://") && public_url.len() > 8 || plain_local) {
        problems.push(format!(
            "portal.public_url = {:?}: use the https address people open, like \
             \"https://portaal.zorggroep.example\" (http only for localhost)",
            file.public_url
        ));
    }
    let tls = match (file.tls_cert, file.tls_key) {
        (Some(cert), Some(key)) => {
            for (name, path) in [("tls_cert", &cert), ("tls_key", &key)] {
                if !path.is_file() {
                    problems.push(format!("portal.{name} = {}: no such file", path.display()));
                }
            }
            Some((cert, key))
        }
        (None, None) => None,
        _ => {
            problems.push(
                "portal.tls_cert and portal.tls_key go together: give both, or neither for \
                 plain http behind a TLS proxy"
                    .to_owned(),
            );
            None
        }
    };
    let defaults = SessionLimits::default();
    let ms = |d: i64| Duration::from_millis(u64::try_from(d).unwrap_or(0));
    let sessions = SessionLimits {
        idle_ms: millis(
            "portal.session_idle",
            file.session_idle.as_deref(),
            ms(defaults.idle_ms),
            problems,
        ),
        absolute_ms: millis(
            "portal.session_absolute",
            file.session_absolute.as_deref(),
            ms(defaults.absolute_ms),
            problems,
        ),
        remember_ms: millis(
            "portal.remember_for",
            file.remember_for.as_deref(),
            ms(defaults.remember_ms),
            problems,
        ),
    };
    if sessions.remember_ms > MAX_REMEMBER_MS {
        problems.push("portal.remember_for may be 14 days at most".to_owned());
    }
    if sessions.idle_ms > sessions.absolute_ms {
        problems.push(
            "portal.session_idle is longer than portal.session_absolute: make it shorter"
                .to_owned(),
        );
    }
    let limits = super::limits::validate("portal", file.limits, problems);
    let trusted_proxies = file
        .trusted_proxies
        .iter()
        .filter_map(|text| {
            let network = Network::parse(text);
            if network.is_none() {
                problems.push(format!(
                    "portal.trusted_proxies: {text:?} is not a network; use an address with \
                     its prefix length, like \"127.0.0.1/32\" or \"10.0.0.0/8\""
                ));
            }
            network
        })
        .collect();
    PortalSettings {
        listen,
        public_url,
        tls,
        sessions,
        limits,
        trusted_proxies,
        server_timing: file.server_timing,
    }
}

fn loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Validates `[smtp]`; the password is still as written (perhaps sealed).
pub fn smtp(file: SmtpFile, problems: &mut Vec<String>) -> SmtpSettings {
    let security = match file.security.as_str() {
        "none" => SmtpSecurity::None,
        "tls" => SmtpSecurity::Tls,
        _ => SmtpSecurity::StartTls,
    };
    if security == SmtpSecurity::None && !loopback(&file.host) {
        problems.push(format!(
            "smtp.security = \"none\" sends passwords and links in the clear: only for a server \
             on this machine (localhost), not {:?}; use \"starttls\" or \"tls\"",
            file.host
        ));
    }
    if file.host.trim().is_empty() {
        problems.push("smtp.host is empty".to_owned());
    }
    let port = file.port.unwrap_or(match security {
        SmtpSecurity::None => 25,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
    });
    if !ketenpost_portal::mail::usable_sender(&file.from) {
        problems.push(format!(
            "smtp.from = {:?}: use an address like \"ketenpost <noreply@zorggroep.example>\"",
            file.from
        ));
    }
    let credentials = match (file.username, file.password) {
        (Some(user), Some(password)) => Some((user, password.expose().to_owned())),
        (None, None) => None,
        _ => {
            problems.push("smtp.username and smtp.password go together".to_owned());
            None
        }
    };
    let timeout = match &file.timeout {
        Some(text) => super::validate::duration("smtp.timeout", text, problems),
        None => None,
    }
    .unwrap_or(Duration::from_secs(30));
    SmtpSettings {
        host: file.host,
        port,
        security,
        credentials,
        from: file.from,
        timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_are_networks_and_anything_else_is_named() {
        let file = PortalFile {
            listen: "127.0.0.1:8443".into(),
            public_url: "https://portaal.zorggroep.example".into(),
            tls_cert: None,
            tls_key: None,
            session_idle: None,
            session_absolute: None,
            remember_for: None,
            trusted_proxies: vec!["127.0.0.1/32".into(), "proxy.example".into()],
            server_timing: false,
            limits: HttpLimitsFile::default(),
        };
        let mut problems = Vec::new();
        let settings = portal(file, &mut problems);
        assert_eq!(settings.trusted_proxies.len(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("portal.trusted_proxies: \"proxy.example\" is not a network"),
            "{problems:?}"
        );
    }
}
