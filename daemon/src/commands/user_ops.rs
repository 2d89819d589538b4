//! What each `ketenpost user` command does, written once for both places it runs: on the data
//! folder (the daemon is not running) and inside the running daemon, which the command asks
//! through its admin socket (see `user_socket`). The output is collected, not printed, so
//! both give the same lines and the same exit code.

use std::sync::Arc;

use anyhow::Context;
use ketenpost_domain::events::{Role, UserChange};
use ketenpost_domain::ports::EventLog;
use ketenpost_portal::identity::Profile;
use ketenpost_portal::mail::SmtpSettings;
use ketenpost_portal::{mail, users};
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::config::PortalSettings;
use crate::store;

/// One `user` command, as it travels to the daemon.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum UserRequest {
    /// `user add`.
    Add {
        /// The address.
        email: String,
        /// The name.
        name: String,
        /// The role as typed.
        role: String,
        /// Whether to print the invitation link.
        print_link: bool,
    },
    /// `user list`.
    List,
    /// `user disable`.
    Disable {
        /// The address.
        email: String,
    },
    /// `user reset-two-factor`.
    ResetTwoFactor {
        /// The address.
        email: String,
    },
}

/// What a command printed: its standard output and error lines.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Printed {
    /// Standard output.
    pub out: String,
    /// Standard error.
    pub err: String,
}

impl Printed {
    fn line(&mut self, text: impl AsRef<str>) {
        self.out.push_str(text.as_ref());
        self.out.push('\n');
    }

    fn error_line(&mut self, text: impl AsRef<str>) {
        self.err.push_str(text.as_ref());
        self.err.push('\n');
    }
}

/// Where a command runs: the settings it needs, and how it gets the log and data key (the
/// folder is opened only once the input has been checked).
pub struct Place<'a> {
    /// `[portal]`, if configured.
    pub portal: Option<&'a PortalSettings>,
    /// `[smtp]`, if configured.
    pub smtp: Option<&'a SmtpSettings>,
    /// Opens the log (creating the data folder when `true` is passed) and reads the key.
    #[allow(clippy::type_complexity)]
    pub open: Box<dyn FnOnce(bool) -> anyhow::Result<(Arc<dyn EventLog>, [u8; 32])> + 'a>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs `request` at `place`, collecting what it prints into `printed`.
///
/// # Errors
/// The configuration or data folder cannot be used, or the invitation could not be sent.
pub fn execute(
    request: &UserRequest,
    place: Place<'_>,
    printed: &mut Printed,
) -> anyhow::Result<Outcome> {
    match request {
        UserRequest::Add {
            email,
            name,
            role,
            print_link,
        } => add(email, name, role, *print_link, place, printed),
        UserRequest::List => list(place, printed),
        UserRequest::Disable { email } => change(email, UserChange::Disabled, place, printed),
        UserRequest::ResetTwoFactor { email } => {
            change(email, UserChange::TwoFactorReset, place, printed)
        }
    }
}

fn add(
    email: &str,
    name: &str,
    role: &str,
    print_link: bool,
    place: Place<'_>,
    printed: &mut Printed,
) -> anyhow::Result<Outcome> {
    let role = Role::parse(role).context("--role: use secretariaat, beheerder or servicedesk")?;
    let Some(portal) = place.portal else {
        anyhow::bail!(
            "the invitation link needs the portal's address: configure [portal] public_url \
             and name the file with --config"
        );
    };
    anyhow::ensure!(
        place.smtp.is_some() || print_link,
        "no [smtp] is configured, so no invitation can be mailed: configure [smtp], or add \
         --print-link and hand the link over yourself"
    );
    let (log, key) = (place.open)(true)?;
    let profile = Profile {
        email: email.to_owned(),
        name: name.to_owned(),
    };
    let link = match users::add(&*log, &key, &profile, role, "cli", now_ms()) {
        Ok(link) => link,
        Err(
            refused @ (users::UserError::BadAddress
            | users::UserError::BadName
            | users::UserError::Exists),
        ) => {
            printed.error_line(format!("ketenpost: {email}: {refused}"));
            return Ok(Outcome::Malformed);
        }
        Err(e) => return Err(e).context("Failed to add the user"),
    };
    // Closed before the mail goes out: a slow mail server does not hold the data folder.
    drop(log);
    let url = link.url(&portal.public_url);
    printed.line(format!("added {email} as {}", role.as_str()));
    if print_link {
        let valid_until = store::rfc3339(link.expires_at_ms);
        printed.line(format!(
            "invitation link (valid until {valid_until}): {url}"
        ));
    }
    if let Some(smtp) = place.smtp {
        let valid_until = ketenpost_portal::clock::dutch_time(link.expires_at_ms);
        let invitation = mail::invitation(email.trim(), name.trim(), &url, &valid_until);
        mail::send(smtp, &invitation).with_context(|| {
            format!(
                "The user is added, but the invitation mail was not sent ({email}): once [smtp] \
                 works they can ask for a link with \"Wachtwoord vergeten?\" on the login page"
            )
        })?;
        printed.line(format!("invitation sent to {email}"));
    }
    Ok(Outcome::Understood)
}

fn list(place: Place<'_>, printed: &mut Printed) -> anyhow::Result<Outcome> {
    let (log, key) = (place.open)(false)?;
    let all = users::list(&*log, &key).context("Failed to list the users")?;
    printed.line(format!(
        "{:<40} {:<30} {:<13} STATE",
        "EMAIL", "NAME", "ROLE"
    ));
    for (user, profile) in all {
        let state = if user.disabled {
            "disabled"
        } else if user.password_hash.is_none() {
            "invited"
        } else if !user.enrolled() {
            "no second factor"
        } else {
            "active"
        };
        printed.line(format!(
            "{:<40} {:<30} {:<13} {state}",
            profile.email,
            profile.name,
            user.role.as_str()
        ));
    }
    Ok(Outcome::Understood)
}

fn change(
    email: &str,
    change: UserChange,
    place: Place<'_>,
    printed: &mut Printed,
) -> anyhow::Result<Outcome> {
    let (log, key) = (place.open)(false)?;
    let outcome = match users::change(&*log, &key, email, change, "cli") {
        Ok(_) => {
            printed.line(format!("{email}: {}", change.as_str()));
            Outcome::Understood
        }
        Err(refused @ (users::UserError::NotFound | users::UserError::AlreadyDisabled)) => {
            printed.error_line(format!("ketenpost: {email}: {refused}"));
            Outcome::Malformed
        }
        Err(e) => return Err(e).context("Failed to change the user"),
    };
    Ok(outcome)
}
