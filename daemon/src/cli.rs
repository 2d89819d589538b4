//! The command line: what a person can ask the `ketenpost` binary to do.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// ketenpost routes Dutch care EDIFACT messages (MEDVRI letters, MEDLAB lab results) into the
/// client record system as PDF documents.
#[derive(Debug, Parser)]
#[command(name = "ketenpost", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the event log lives.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The data folder (event log, payloads, projections and, unless --key-file, the key file).
    #[arg(long, default_value = "./ketenpost-data")]
    pub data: PathBuf,
    /// The key file that encrypts payloads at rest (created with mode 0600 when absent).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Ask the running daemon instead (`status`, `list`, `show`, `resend`): its configuration
    /// file names the API address and token. The daemon holds the data folder while it runs.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The subcommands. (The flattened `data` fields are documented on [`DataArgs`].)
#[derive(Debug, Subcommand)]
#[allow(missing_docs)]
pub enum Command {
    /// Read payload files and show what is in them and where each message would go.
    Parse {
        /// The payload files (EDIFACT; XML, PDF, HL7 v2 and text are recognised as unsupported).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object per file, on one line: {"messages": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Render every letter and lab report of a payload file as a PDF document.
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
    Import {
        /// The payload files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print the event log as JSON lines.
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
    Status {
        /// As one JSON object.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Print one message with its whole timeline.
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
    Run {
        /// The configuration file (TOML); `KETENPOST_` environment variables override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only check the configuration (every key, sealed secrets, the record systems'
        /// certificates), print what would run, and exit: 0 when it is usable, 1 when not.
        #[arg(long)]
        check: bool,
    },
    /// Ask for messages that are not processed to run again (herzenden).
    Resend {
        /// The message ids.
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Seal a secret read from stdin with the data key, for the configuration: prints
    /// `sealed:v1:...` (mailbox password, API token, or a client key file's content).
    Seal {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Accept the event log as it is when its head marker (`log.head`) is missing or damaged,
    /// or says more events were acknowledged than the log holds: verifies every entry, then
    /// makes the marker say where the log ends. Only on purpose: see docs/event-log.md.
    RepairHead {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Rebuild every projection from position 0.
    Replay {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Write the man pages or shell completions generated from these definitions (packaging).
    #[command(hide = true)]
    Generate {
        /// `man` (ketenpost.1 and one page per command) or `completions` (bash, zsh, fish).
        what: Generated,
        /// The folder to write them into (created if absent).
        #[arg(long)]
        out: PathBuf,
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
