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

/// The subcommands.
#[derive(Debug, Subcommand)]
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
        #[arg(long)]
        out: PathBuf,
    },
}
