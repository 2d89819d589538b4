//! `ketenpost resend ID...`: asks for messages that are not processed to run again with today's
//! configuration. Through the running daemon with `--config`, else straight into the data
//! folder (the daemon takes the request up when it starts).

use super::{remote, Outcome};
use crate::cli::DataArgs;
use crate::{config, resend, store};

/// Requests a resend of every id; prints one line per id.
///
/// # Errors
/// The data folder or the daemon cannot be used. Refused ids are named on stderr (exit 2).
pub fn run(ids: &[String], data: &DataArgs) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::Understood;
    if let Some(file) = &data.config {
        let api = config::load_api(file)?;
        for id in ids {
            let (status, body) =
                remote::call(&api, "POST", &format!("/api/v1/messages/{id}/resend"))?;
            let error = || body["error"].as_str().unwrap_or("refused").to_owned();
            if status == 202 {
                println!("resend {id}");
            } else if remote::refuses_the_id(status) {
                eprintln!("ketenpost: {}", error());
                outcome = Outcome::Malformed;
            } else {
                anyhow::bail!(
                    "The daemon did not take the resend of {id} (HTTP {status}): {}",
                    error()
                );
            }
        }
        return Ok(outcome);
    }
    let log = store::open(data)?;
    for id in ids {
        match resend::request(&log, id, "cli") {
            Ok(_) => println!("resend {id}"),
            Err(refused @ resend::ResendRefused::Log(_)) => return Err(refused.into()),
            Err(refused) => {
                eprintln!("ketenpost: {refused}");
                outcome = Outcome::Malformed;
            }
        }
    }
    log.catch_up()?;
    Ok(outcome)
}
