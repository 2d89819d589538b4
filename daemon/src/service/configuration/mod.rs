//! The configuration in force, from the `configuration` stream: taken up at start (the file's
//! routing sections recorded as version 1 when the log holds none), proposed, reviewed and
//! activated while the daemon runs (see [`desk`]), and applied without a restart (see
//! [`follow`]).

pub mod follow;

use anyhow::Context;
use ketenpost_adapters::event_log::DiskEventLog;
use ketenpost_domain::configuration::{differences, History, CONFIGURATION_STREAM};
use ketenpost_domain::events::{EventId, NewEvent, StreamId};
use ketenpost_domain::ports::{EventLog, ExpectedVersion, StreamAppend};

use crate::config::routing::{self, ActiveRouting};
use crate::config::Settings;

/// The daemon's rules for a configuration version, lent to the portal: the start-up
/// configuration's checks, and the follower woken when a version was activated.
pub struct Rules {
    shared: std::sync::Weak<super::state::Shared>,
    key: [u8; 32],
}

impl Rules {
    /// The rules of this daemon.
    ///
    /// # Errors
    /// The data key cannot be read.
    pub fn new(shared: &std::sync::Arc<super::state::Shared>) -> anyhow::Result<Self> {
        Ok(Self {
            shared: std::sync::Arc::downgrade(shared),
            key: routing::data_key(&shared.settings.key_file)?,
        })
    }
}

impl ketenpost_portal::configuration::ConfigRules for Rules {
    fn problems(&self, routing: &ketenpost_domain::configuration::RoutingConfig) -> Vec<String> {
        match routing::check(routing, Some(&self.key)) {
            Ok(_) => Vec::new(),
            Err(error) => error.problems,
        }
    }

    /// Puts the activated version in force at once (the next message is decided by it, also
    /// when it arrives before the follower looks), then wakes the follower for the pullers.
    fn activated(&self) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        match history(&shared.log) {
            Ok((history, _)) => {
                if let Some((version, in_force)) = history.in_force() {
                    if let Ok(mut active) = routing::check(in_force, Some(&self.key)) {
                        active.version = version;
                        shared.set_routing(std::sync::Arc::new(active));
                    }
                }
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "configuration: the stream could not be read");
            }
        }
        shared.config_changed.notify_one();
    }
}

/// The `configuration` stream.
pub fn stream() -> anyhow::Result<StreamId> {
    StreamId::parse(CONFIGURATION_STREAM).context("the configuration stream's id")
}

/// The configuration stream folded, with its stream version (`None`: no stream yet).
///
/// # Errors
/// The log cannot be read.
pub fn history(log: &DiskEventLog) -> anyhow::Result<(History, Option<u64>)> {
    let events = log
        .read_stream(&stream()?)
        .context("Failed to read the configuration stream")?;
    let version = events.last().map(|e| e.version);
    Ok((History::fold(events.iter().map(|e| &e.event)), version))
}

/// Takes up the configuration at start: when the log holds no version, the file's routing
/// sections become version 1 (approved, by `configuratiebestand`); otherwise the version in
/// force replaces them in `settings`, and each key in which the file differs is named in a
/// warning. The routing settings in force are returned.
///
/// # Errors
/// The log cannot be read or written, the data key cannot be read, or the version in force
/// no longer passes the rules (e.g. a certificate file it names is gone).
pub fn take_up(log: &DiskEventLog, settings: &mut Settings) -> anyhow::Result<ActiveRouting> {
    let key = routing::data_key(&settings.key_file)?;
    let (history, stream_version) = history(log)?;
    let Some((version, in_force)) = history.in_force() else {
        let mut first = settings.routing_file.clone();
        routing::seal_secrets(&mut first, &key)?;
        let mut active = active_from_settings(settings, 1);
        active.source = first.clone();
        let events = History::from_file(super::state::now_ms(), first)
            .into_iter()
            .map(|event| NewEvent {
                id: EventId(uuid::Uuid::now_v7().as_u128()),
                event,
            })
            .collect();
        log.append(vec![StreamAppend {
            stream: stream()?,
            expected: stream_version.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exactly),
            events,
        }])
        .context("Failed to record the configuration file as configuration version 1")?;
        tracing::info!(
            version = 1,
            "configuration: the file's routing sections are recorded as version 1"
        );
        return Ok(active);
    };
    let differing: Vec<String> = differences(
        &routing::opened(in_force, &key),
        &routing::opened(&settings.routing_file, &key),
    )
    .into_iter()
    .map(|d| d.key)
    .collect();
    if !differing.is_empty() {
        tracing::warn!(
            version,
            keys = %differing.join(", "),
            "configuration: the file's routing sections differ from the version in force, which \
             applies (the file's are ignored); change them in the portal, or see `ketenpost config export`"
        );
    }
    let mut active = routing::check(in_force, Some(&key)).map_err(|e| {
        anyhow::anyhow!("configuration version {version} in force cannot be used: {e}")
    })?;
    active.version = version;
    settings.mailboxes.clone_from(&active.mailboxes);
    settings.record_systems.clone_from(&active.record_systems);
    settings.routes.clone_from(&active.routes);
    settings.manual_route.clone_from(&active.manual_route);
    settings.organisation.clone_from(&active.organisation);
    Ok(active)
}

/// The routing settings of `settings` as version `version`.
pub fn active_from_settings(settings: &Settings, version: u64) -> ActiveRouting {
    ActiveRouting {
        version,
        mailboxes: settings.mailboxes.clone(),
        record_systems: settings.record_systems.clone(),
        routes: settings.routes.clone(),
        manual_route: settings.manual_route.clone(),
        organisation: settings.organisation.clone(),
        source: settings.routing_file.clone(),
    }
}

/// The version in force as TOML, its secrets sealed (`ketenpost config export`).
///
/// # Errors
/// The log cannot be read, or holds no version yet.
pub fn export(log: &DiskEventLog) -> anyhow::Result<String> {
    let (history, _) = history(log)?;
    let (version, in_force) = history
        .in_force()
        .context("the log holds no configuration version yet (the daemon records the file's at its first start)")?;
    let body = routing::to_toml(in_force).map_err(|e| anyhow::anyhow!(e))?;
    Ok(format!(
        "# Configuration version {version}, in force: the routing sections (secrets sealed with the\n\
         # data key). Put them in the configuration file only to start a new data folder.\n\n{body}"
    ))
}
