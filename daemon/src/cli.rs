//! The command line: what a person can ask the `ketenpost` binary to do.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// ketenpost routes Dutch care EDIFACT messages (MEDVRI letters, MEDLAB lab results) into the
/// client record system as PDF documents.
#[derive(Debug, Parser)]
#[command(name = "ketenpost", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The periods of `ketenpost retention`, each instead of the one `[retention]` gives.
#[derive(Debug, clap::Args)]
pub struct RetentionPeriods {
    /// How long after it is processed [default: [retention] keep_processed of --config,
    /// else 30d].
    #[arg(long)]
    pub keep_processed: Option<String>,
    /// How long after it is decided otherwise [default: [retention] keep_other of
    /// --config, else 180d].
    #[arg(long)]
    pub keep_other: Option<String>,
    /// How long a message's events are kept after its retention ended [default: [retention]
    /// keep_history of --config, else 5y].
    #[arg(long)]
    pub keep_history: Option<String>,
}

/// Where the event log lives: `--config` (its `data_dir` and `key_file`) or `--data` and
/// `--key-file`, the same for every command.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The data folder (event log, payloads, projections and, unless --key-file, the key file)
    /// [default: ./ketenpost-data]. It must exist: only `import` and `run` create it.
    #[arg(long, conflicts_with = "config")]
    pub data: Option<PathBuf>,
    /// The key file that encrypts payloads at rest [default: DATA/data.key].
    #[arg(long, conflicts_with = "config")]
    pub key_file: Option<PathBuf>,
    /// The daemon's configuration file: the data folder and key file are the ones it names.
    /// `status`, `list`, `show`, `resend` and `backup` ask the running daemon instead, at its
    /// [api] address with its token; `user` asks it through its admin socket in the data
    /// folder. Relative paths in it are relative to the file.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The exit codes block as a literal, so each command's help can end with it.
macro_rules! exit_codes {
    () => {
        "\
Exit codes:
  0  done
  1  not done: a configuration problem, a data folder or file that does not exist or cannot
     be used, or a daemon that cannot be reached; the reason is on stderr
  2  done, but some input was refused (a malformed file, an unknown or refused message id),
     each named on stderr"
    };
}

/// A command's help ending: its examples, then the exit codes.
macro_rules! examples {
    ($($line:literal),+ $(,)?) => {
        concat!("Examples:\n", $("  ", $line, "\n",)+ "\n", exit_codes!())
    };
}

/// The exit codes, shown at the end of `--help` (and of every command's help).
pub const EXIT_CODES: &str = exit_codes!();

/// The subcommands. (The flattened `data` fields are documented on [`DataArgs`].)
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum Command {
    /// Read payload files and show what is in them and where each message would go.
    #[command(after_help = examples!("ketenpost parse letter.edi", "ketenpost parse --json *.edi | jq .messages", "ketenpost parse --config /etc/ketenpost/ketenpost.toml scan.pdf"))]
    Parse {
        /// The payload files (EDIFACT; XML, PDF, HL7 v2 and text are recognised as unsupported).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per file, on one line: {"messages": [...]}.
        #[arg(long)]
        json: bool,
        /// The daemon's configuration file: a PDF is classified as its manual route (or else
        /// its first route by name) would, by `place_incoming_pdf`. Without it, a PDF's entry
        /// says what it becomes under either setting.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Render every letter and lab report of a payload file as a PDF document.
    #[command(after_help = examples!("ketenpost render letter.edi --out /tmp/letters", "ketenpost render letter.edi --out /tmp/letters --force"))]
    Render {
        /// The payload file.
        file: PathBuf,
        /// The folder to write `<interchange_ref>-<message_ref>.pdf` files into (created if absent).
        /// A name already taken gets `-2`, `-3`, ... added: nothing is overwritten without --force.
        #[arg(long)]
        out: PathBuf,
        /// Overwrite a file of the same name instead of choosing a new name.
        #[arg(long)]
        force: bool,
    },
    /// Record files as received from the mailbox `manual` and process them; prints
    /// `imported <message-id> <file>` per message once its events are on disk.
    #[command(after_help = examples!("ketenpost import --config /etc/ketenpost/ketenpost.toml letter.edi", "ketenpost import --data ./ketenpost-data *.edi"))]
    Import {
        /// The payload files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the event log as JSON lines.
    #[command(after_help = examples!("ketenpost events --config /etc/ketenpost/ketenpost.toml --from 1200", "ketenpost events --data ./ketenpost-data --stream message-..."))]
    Events {
        /// Only this stream (a message or receipt id).
        #[arg(long)]
        stream: Option<String>,
        /// Start at this global position.
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the number of messages per category (and in flight).
    #[command(after_help = examples!("ketenpost status --config /etc/ketenpost/ketenpost.toml", "ketenpost status --data ./ketenpost-data --json"))]
    Status {
        /// As one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print one message with its whole timeline.
    #[command(after_help = examples!("ketenpost show message-... --config /etc/ketenpost/ketenpost.toml", "ketenpost show message-... --data ./ketenpost-data --json"))]
    Show {
        /// The message id (`message-...`).
        id: String,
        /// As one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the messages in one category (or `in_flight`, `awaiting_delivery`), newest first.
    #[command(after_help = examples!("ketenpost list missing_bsn --config /etc/ketenpost/ketenpost.toml", "ketenpost list fallout --data ./ketenpost-data --limit 10 --cursor CURSOR"))]
    List {
        /// The category name, e.g. `missing_bsn`.
        category: String,
        /// Continue after this cursor (printed at the end of the previous page).
        #[arg(long)]
        cursor: Option<String>,
        /// Messages per page.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// One JSON object per message instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run the daemon: pull the mailboxes, place documents, serve the API, until SIGTERM.
    #[command(after_help = examples!("ketenpost run --config /etc/ketenpost/ketenpost.toml", "ketenpost run --check --config /etc/ketenpost/ketenpost.toml"))]
    Run {
        /// The configuration file (TOML); `KETENPOST_` environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only check the configuration (every key, sealed secrets, the record systems'
        /// certificates), print what would run, and exit: 0 when it is usable, 1 when not.
        #[arg(long)]
        check: bool,
    },
    /// Work on messages for a daemon configured with `[amqp]`: take work items from the
    /// broker, place documents, send the results to the daemon, until SIGTERM.
    #[command(after_help = examples!("ketenpost worker --config /etc/ketenpost/ketenpost.toml"))]
    Worker {
        /// The configuration file (TOML): the same `[amqp]`, `[record_systems]` and `[routes]`
        /// as the daemon's (its version must match the daemon's).
        #[arg(long)]
        config: PathBuf,
    },
    /// Ask for messages that are not processed to run again (herzenden).
    #[command(after_help = examples!("ketenpost resend message-... --config /etc/ketenpost/ketenpost.toml", "ketenpost resend message-... message-... --data ./ketenpost-data"))]
    Resend {
        /// The message ids.
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Seal a secret read from stdin with the data key, for the configuration: prints
    /// `sealed:v1:...` (mailbox password, API token, or a client key file's content).
    #[command(after_help = examples!("printf %s \"$PASSWORD\" | ketenpost seal --config /etc/ketenpost/ketenpost.toml", "ketenpost seal --data ./ketenpost-data < client.key"))]
    Seal {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Accept the event log as it is when its head marker (`log.head`) is missing or damaged,
    /// or says more events were acknowledged than the log holds: verifies every entry, then
    /// makes the marker say where the log ends. Only on purpose: see docs/event-log.md.
    #[command(after_help = examples!("ketenpost repair-head --config /etc/ketenpost/ketenpost.toml"))]
    RepairHead {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove the personal data of decided messages whose retention period is over, as the
    /// daemon does every so often: their payload, their key and so the personal text of their
    /// events. The events stay for keep_history more; then they are forgotten too. Run it
    /// with the daemon stopped (it holds the data folder).
    #[command(after_help = examples!("ketenpost retention --dry-run --config /etc/ketenpost/ketenpost.toml", "ketenpost retention --data ./ketenpost-data --keep-processed 30d --keep-other 180d"))]
    Retention {
        /// Only count and list the messages whose period is over; change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        periods: RetentionPeriods,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Make a consistent copy of the data folder, without stopping work: with --config, the
    /// running daemon writes it (the folder must be writable by its user); else, or when no
    /// daemon answers, the folder is copied here. The key file is not in it: keep it apart.
    #[command(after_help = examples!("ketenpost backup --to /var/backups/ketenpost/2026-12-06 --config /etc/ketenpost/ketenpost.toml", "ketenpost backup --into /var/backups/ketenpost --keep-for 30d --config /etc/ketenpost/ketenpost.toml", "ketenpost backup --to /mnt/backup/ketenpost --data ./ketenpost-data"))]
    #[command(group(clap::ArgGroup::new("where").required(true).args(["to", "into"])))]
    Backup {
        /// A new or empty folder for the copy.
        #[arg(long)]
        to: Option<PathBuf>,
        /// A folder of backups: the copy goes into a new folder in it named after the time
        /// (backup-2026-12-06T02:00:00Z).
        #[arg(long)]
        into: Option<PathBuf>,
        /// With --into: once the copy is made, remove the backups in that folder made longer
        /// ago than this (e.g. 30d; never the one just made). A backup keeps the personal data
        /// of messages whose retention ended since: keep them no longer than needed.
        #[arg(long, conflicts_with = "to")]
        keep_for: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Bring a backup back into an empty data folder (the key file of the backed-up folder
    /// must be in place first); the projections are rebuilt.
    #[command(after_help = examples!("ketenpost restore --from /var/backups/ketenpost/2026-12-06 --config /etc/ketenpost/ketenpost.toml"))]
    Restore {
        /// The backup folder (made by `ketenpost backup`).
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rebuild every projection from position 0.
    #[command(after_help = examples!("ketenpost replay --config /etc/ketenpost/ketenpost.toml"))]
    Replay {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Manage the portal's users: add one (and send the invitation), list, disable, or remove
    /// a lost phone's second factor. Opens the data folder itself (as `events` does).
    #[command(subcommand, after_help = examples!("ketenpost user add anna@zorggroep.example --name \"Anna de Vries\" --role beheerder --config /etc/ketenpost/ketenpost.toml", "ketenpost user list --config /etc/ketenpost/ketenpost.toml"))]
    User(UserCommand),
    /// The routing configuration in force (organisation, mailboxes, record systems, routes):
    /// it lives in the event log as reviewed versions; `export` prints the version in force.
    #[command(subcommand, after_help = examples!("ketenpost config export --config /etc/ketenpost/ketenpost.toml > routing.toml"))]
    Config(ConfigCommand),
    /// Print the security log of one portal user: logins (with the factor and outcome),
    /// lockouts, logouts, password and two-factor changes, invitations, reset requests and
    /// changes by an operator, then their accesses to client data, oldest first; or the
    /// accesses to one client's data (`--client`); or check the access log's hash chain
    /// (`--verify`). Opens the data folder itself.
    #[command(after_help = examples!("ketenpost audit --user anna@zorggroep.example --config /etc/ketenpost/ketenpost.toml", "ketenpost audit --client 999990019 --from 2026-12-01 --to 2026-12-06 --config /etc/ketenpost/ketenpost.toml", "ketenpost audit --verify --config /etc/ketenpost/ketenpost.toml"))]
    #[command(group(clap::ArgGroup::new("wanted").required(true).args(["user", "client", "verify"])))]
    Audit {
        /// The user's e-mail address (also one that has no account: its failed logins).
        #[arg(long)]
        user: Option<String>,
        /// The client's BSN: every access to their data.
        #[arg(long)]
        client: Option<String>,
        /// Check that no access log entry was changed, removed or reordered.
        #[arg(long)]
        verify: bool,
        /// From this day (`2026-12-01`, UTC) or moment (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Up to and including this day (`2026-12-06`, UTC), or up to this moment (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write the man pages or shell completions generated from these definitions (packaging).
    #[command(after_help = examples!("ketenpost generate man --out target/man", "ketenpost generate completions --out target/completions"))]
    #[command(hide = true)]
    Generate {
        /// `man` (ketenpost.1 and one page per command) or `completions` (bash, zsh, fish).
        what: Generated,
        /// The folder to write them into (created if absent).
        #[arg(long)]
        out: PathBuf,
    },
}

/// `ketenpost user ...`.
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum UserCommand {
    /// Add a portal user and send them the invitation e-mail with a one-time link (valid 7
    /// days) to set a password; needs [smtp] in the configuration, or --print-link.
    #[command(after_help = examples!("ketenpost user add anna@zorggroep.example --name \"Anna de Vries\" --role beheerder --config /etc/ketenpost/ketenpost.toml", "ketenpost user add anna@zorggroep.example --name Anna --role beheerder --config /etc/ketenpost/ketenpost.toml --print-link"))]
    Add {
        /// The user's e-mail address (their login name).
        email: String,
        /// The user's name, as the portal greets them.
        #[arg(long)]
        name: String,
        /// `secretariaat`, `beheerder` or `servicedesk`.
        #[arg(long, value_parser = ["secretariaat", "beheerder", "servicedesk"])]
        role: String,
        /// Also print the invitation link (for a first user before mail works; it is a
        /// credential: hand it over as one).
        #[arg(long)]
        print_link: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the portal's users: address, name, role, state.
    #[command(after_help = examples!("ketenpost user list --config /etc/ketenpost/ketenpost.toml"))]
    List {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Disable a user: they can no longer log in, and their sessions end.
    #[command(after_help = examples!("ketenpost user disable anna@zorggroep.example --config /etc/ketenpost/ketenpost.toml"))]
    Disable {
        /// The user's e-mail address.
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Remove a user's second factor and recovery codes (a lost phone, after the service desk
    /// has checked who asks): they enrol a new phone at their next login.
    #[command(after_help = examples!("ketenpost user reset-two-factor anna@zorggroep.example --config /etc/ketenpost/ketenpost.toml"))]
    ResetTwoFactor {
        /// The user's e-mail address.
        email: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `ketenpost config ...`.
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum ConfigCommand {
    /// Print the configuration version in force as TOML, in the configuration file's keys
    /// (`[organisation]`, `[[mailboxes]]`, `[record_systems.NAME]`, `[routes.NAME]`), its
    /// secrets sealed with the data key, never plain. Opens the data folder itself.
    #[command(after_help = examples!("ketenpost config export --config /etc/ketenpost/ketenpost.toml"))]
    Export {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// What `ketenpost generate` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Generated {
    /// Man pages, section 1.
    Man,
    /// Completions for bash, zsh and fish.
    Completions,
}
