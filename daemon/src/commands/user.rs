//! `ketenpost user add|list|disable|reset-two-factor`: the operator's side of the portal's
//! users. The address the operator typed is named back to them on the terminal; it is never
//! written to the log in plain text (see `ketenpost_portal::identity`).

use anyhow::Context;
use ketenpost_adapters::event_log::{load_or_create_key, SledEventLog};
use ketenpost_domain::events::{Role, UserChange};
use ketenpost_portal::identity::Profile;
use ketenpost_portal::{mail, users};

use super::Outcome;
use crate::cli::{DataArgs, UserCommand};
use crate::config::{self, PeopleSettings};
use crate::store;

/// Runs one `user` command.
///
/// # Errors
/// The configuration or data folder cannot be used, the change is refused (named on stderr,
/// exit 2 where the input was at fault), or the invitation could not be sent.
pub fn run(command: &UserCommand) -> anyhow::Result<Outcome> {
    match command {
        UserCommand::Add {
            email,
            name,
            role,
            print_link,
            data,
        } => add(email, name, role, *print_link, data),
        UserCommand::List { data } => list(data),
        UserCommand::Disable { email, data } => change(email, UserChange::Disabled, data),
        UserCommand::ResetTwoFactor { email, data } => {
            change(email, UserChange::TwoFactorReset, data)
        }
    }
}

fn people(data: &DataArgs) -> anyhow::Result<Option<PeopleSettings>> {
    data.config
        .as_deref()
        .map(config::load_people)
        .transpose()
        .map_err(Into::into)
}

fn key(data: &DataArgs) -> anyhow::Result<[u8; 32]> {
    let key_file = store::place(data)?.key_file;
    load_or_create_key(&key_file)
        .with_context(|| format!("Failed to read the key file {}", key_file.display()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn add(
    email: &str,
    name: &str,
    role: &str,
    print_link: bool,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let role = Role::parse(role).context("--role: use secretariaat, beheerder or servicedesk")?;
    let settings = people(data)?;
    let (portal, smtp) = match settings {
        Some(PeopleSettings { portal, smtp, .. }) => (portal, smtp),
        None => (None, None),
    };
    let Some(portal) = portal else {
        anyhow::bail!(
            "the invitation link needs the portal's address: configure [portal] public_url \
             and name the file with --config"
        );
    };
    anyhow::ensure!(
        smtp.is_some() || print_link,
        "no [smtp] is configured, so no invitation can be mailed: configure [smtp], or add \
         --print-link and hand the link over yourself"
    );
    let log = store::open_or_create(data)?;
    let key = key(data)?;
    let profile = Profile {
        email: email.to_owned(),
        name: name.to_owned(),
    };
    let link = match users::add(&log, &key, &profile, role, "cli", now_ms()) {
        Ok(link) => link,
        Err(
            refused @ (users::UserError::BadAddress
            | users::UserError::BadName
            | users::UserError::Exists),
        ) => {
            eprintln!("ketenpost: {email}: {refused}");
            return Ok(Outcome::Malformed);
        }
        Err(e) => return Err(e).context("Failed to add the user"),
    };
    // Closed before the mail goes out: a slow mail server does not hold the data folder.
    drop(log);
    let url = link.url(&portal.public_url);
    println!("added {email} as {}", role.as_str());
    if print_link {
        let valid_until = store::rfc3339(link.expires_at_ms);
        println!("invitation link (valid until {valid_until}): {url}");
    }
    if let Some(smtp) = &smtp {
        let valid_until = ketenpost_portal::clock::dutch_time(link.expires_at_ms);
        let invitation = mail::invitation(email.trim(), name.trim(), &url, &valid_until);
        mail::send(smtp, &invitation).with_context(|| {
            format!(
                "The user is added, but the invitation mail was not sent ({email}): once [smtp] \
                 works they can ask for a link with \"Wachtwoord vergeten?\" on the login page"
            )
        })?;
        println!("invitation sent to {email}");
    }
    Ok(Outcome::Understood)
}

fn list(data: &DataArgs) -> anyhow::Result<Outcome> {
    let log = store::open(data)?;
    let key = key(data)?;
    let all = users::list(&log, &key).context("Failed to list the users")?;
    println!("{:<40} {:<30} {:<13} STATE", "EMAIL", "NAME", "ROLE");
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
        println!(
            "{:<40} {:<30} {:<13} {state}",
            profile.email,
            profile.name,
            user.role.as_str()
        );
    }
    Ok(Outcome::Understood)
}

fn change(email: &str, change: UserChange, data: &DataArgs) -> anyhow::Result<Outcome> {
    let log: SledEventLog = store::open(data)?;
    let key = key(data)?;
    let outcome = match users::change(&log, &key, email, change, "cli") {
        Ok(_) => {
            println!("{email}: {}", change.as_str());
            Outcome::Understood
        }
        Err(refused @ (users::UserError::NotFound | users::UserError::AlreadyDisabled)) => {
            eprintln!("ketenpost: {email}: {refused}");
            Outcome::Malformed
        }
        Err(e) => return Err(e).context("Failed to change the user"),
    };
    Ok(outcome)
}
