//! `ketenpost user add|list|disable|reset-two-factor`: the operator's side of the portal's
//! users. While the daemon runs the command goes through it (its admin socket, see
//! `user_socket`); otherwise it works on the data folder itself. Either way the same code
//! (`user_ops`) does it, with the same output and exit code. The address the operator typed is
//! named back to them on the terminal; it is never written to the log in plain text (see
//! `ketenpost_portal::identity`).

use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::{load_or_create_key, OpenError};
use ketenpost_domain::ports::EventLog;

use super::user_ops::{self, Place, Printed, UserRequest};
use super::{user_socket, Outcome};
use crate::cli::{DataArgs, UserCommand};
use crate::config::{self, PeopleSettings};
use crate::store;

/// Runs one `user` command.
///
/// # Errors
/// The configuration or data folder cannot be used, the change is refused (named on stderr,
/// exit 2 where the input was at fault), or the invitation could not be sent.
pub fn run(command: &UserCommand) -> anyhow::Result<Outcome> {
    let (request, data) = match command {
        UserCommand::Add {
            email,
            name,
            role,
            print_link,
            data,
        } => (
            UserRequest::Add {
                email: email.clone(),
                name: name.clone(),
                role: role.clone(),
                print_link: *print_link,
            },
            data,
        ),
        UserCommand::List { data } => (UserRequest::List, data),
        UserCommand::Disable { email, data } => (
            UserRequest::Disable {
                email: email.clone(),
            },
            data,
        ),
        UserCommand::ResetTwoFactor { email, data } => (
            UserRequest::ResetTwoFactor {
                email: email.clone(),
            },
            data,
        ),
    };
    let place = store::place(data)?;
    // `add` needs the configuration's [portal] and [smtp] on either side: without --config it
    // is refused here as it always was, not done with the daemon's.
    let can_ask = data.config.is_some() || !matches!(request, UserRequest::Add { .. });
    let asked = if can_ask {
        user_socket::ask(&place.data_dir, &request)
    } else {
        None
    };
    let (printed, result) = match asked {
        Some(answered) => answered?,
        None if can_ask => match on_the_folder(&request, data)? {
            // A daemon holds the folder but its admin socket is not up yet (it is starting):
            // ask it once it is, as a command given right after `systemctl start` expects.
            (_, Err(refused)) if in_use(&refused) => {
                eprintln!(
                    "ketenpost: the data folder is in use; waiting up to {} s for the daemon's \
                     admin socket",
                    WAIT_FOR_DAEMON.as_secs()
                );
                match user_socket::ask_when_up(&place.data_dir, &request, WAIT_FOR_DAEMON) {
                    Some(answered) => answered?,
                    None => (Printed::default(), Err(refused)),
                }
            }
            done => done,
        },
        None => on_the_folder(&request, data)?,
    };
    print!("{}", printed.out);
    eprint!("{}", printed.err);
    result
}

/// How long a command waits for the admin socket of a daemon that holds the folder but has
/// not opened its socket yet (a start takes well under a second; an upgrade of the store more).
const WAIT_FOR_DAEMON: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether `error` says another process holds the data folder.
fn in_use(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<OpenError>(),
            Some(OpenError::InUse { .. })
        )
    })
}

/// Runs `request` on the data folder itself (no daemon holds it).
fn on_the_folder(
    request: &UserRequest,
    data: &DataArgs,
) -> anyhow::Result<(Printed, anyhow::Result<Outcome>)> {
    let settings: Option<PeopleSettings> = data
        .config
        .as_deref()
        .map(config::load_people)
        .transpose()?;
    let (portal, smtp) = match &settings {
        Some(PeopleSettings { portal, smtp, .. }) => (portal.as_ref(), smtp.as_ref()),
        None => (None, None),
    };
    let place = Place {
        portal,
        smtp,
        open: Box::new(|create| {
            let log = if create {
                store::open_or_create(data)?
            } else {
                store::open(data)?
            };
            let key_file = store::place(data)?.key_file;
            let key = load_or_create_key(&key_file)
                .with_context(|| format!("Failed to read the key file {}", key_file.display()))?;
            Ok((Arc::new(log) as Arc<dyn EventLog>, key))
        }),
    };
    let mut printed = Printed::default();
    let result = user_ops::execute(request, place, &mut printed);
    Ok((printed, result))
}
