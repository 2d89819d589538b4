//! Shared by the tests of the real binary: running it on a data folder, fresh folders and
//! copies of them, the fixtures, and input files of MEDVRI letters.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_ketenpost");

/// `ketenpost retention` with every period at a millisecond: ends the retention of every
/// decided message and forgets its history at once.
pub const FORGET_NOW: [&str; 7] = [
    "retention",
    "--keep-processed",
    "1ms",
    "--keep-other",
    "1ms",
    "--keep-history",
    "1ms",
];

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/messages")
        .join(name)
}

/// A copy of the folder `from` (a data folder to damage without touching the original).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `output` of a run that must have succeeded; the test fails with its stderr otherwise.
pub fn succeeded(output: Output) -> Output {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh, empty folder of this test.
pub fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn run(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

pub fn run_ok(data: &Path, args: &[&str]) -> String {
    let output = run(data, args);
    assert!(
        output.status.success(),
        "ketenpost {args:?} --data {} failed ({}): {}",
        data.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// One interchange of `messages` MEDVRI letters; without a BSN when `bsn` is false.
pub fn interchange(file: usize, messages: usize, bsn: bool) -> String {
    let mut text = format!("UNB+UNOA:1+500012345+500098765+240212:1105+IC{file:05}'\n");
    for m in 0..messages {
        let reference = format!("{file:03}{m:03}");
        let pid = if bsn {
            "PID+1988:06:21+V+Wolf:van ?'t:Bruin:de::JH++BSN999990019'"
        } else {
            "PID+1950:01:01+M+Visser::::Piet:P.+12345'"
        };
        let _ = write!(
            text,
            "UNH+{reference}+MEDVRI:1'\n\
             GGA+Dr. S. Bakker+Huisartsenpraktijk+Huisartsenpraktijk De Linde+Kerkstraat:14::Utrecht:3511AB+030-1234567'\n\
             DET+24:02:12+11:05'\n\
             {pid}\n\
             PAD+Lindelaan:27a::Utrecht:3581CD+06-44556677'\n\
             TXT:1+Geachte collega,'\n\
             TXT:2+Brief {reference}.'\n\
             GGO+Zorgteam Oost+Verpleeghuis De Es+Zorggroep Midden+Esweg:3::Zeist:3701AA+030-7654321'\n\
             UNT+9+{reference}'\n"
        );
    }
    let _ = writeln!(text, "UNZ+{messages}+IC{file:05}'");
    text
}

/// Writes `valid` interchanges of 25 letters, with three missing-BSN interchanges and three
/// malformed fixtures mixed in; returns the files in import order.
pub fn write_inputs(dir: &Path, valid: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut files = Vec::new();
    for file in 0..valid {
        let path = dir.join(format!("letters-{file:02}.edi"));
        std::fs::write(&path, interchange(file, 25, true)).unwrap();
        files.push(path);
        if file % 13 == 5 {
            let path = dir.join(format!("missing-bsn-{file:02}.edi"));
            std::fs::write(&path, interchange(500 + file, 25, false)).unwrap();
            files.push(path);
        }
        if file % 13 == 9 {
            let name = [
                "malformed_truncated.edi",
                "malformed_bad_tag.edi",
                "malformed_segment_outside_message.edi",
            ][(file / 13) % 3];
            let path = dir.join(format!("{file:02}-{name}"));
            std::fs::copy(fixture(name), &path).unwrap();
            files.push(path);
        }
    }
    files
}

pub fn status(data: &Path) -> BTreeMap<String, i64> {
    let printed = run_ok(data, &["status", "--json"]);
    serde_json::from_str(&printed).unwrap()
}

/// The ids of complete `imported <id> <file>` lines.
pub fn acknowledged_ids(reader: impl std::io::Read) -> Vec<String> {
    let mut reader = BufReader::new(reader);
    let mut ids = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        // A line cut off by the kill was not acknowledged.
        let Some(line) = line.strip_suffix('\n') else {
            break;
        };
        let mut words = line.splitn(3, ' ');
        assert_eq!(words.next(), Some("imported"), "unexpected output {line:?}");
        let id = words.next().unwrap();
        assert!(id.starts_with("message-"), "unexpected output {line:?}");
        assert!(words.next().is_some(), "no file in {line:?}");
        ids.push(id.to_owned());
    }
    ids
}

pub fn ketenpost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .output()
        .expect("run ketenpost")
}

pub fn parse_json(file: &Path) -> Value {
    let output = ketenpost(&["parse", "--json", file.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one line per file: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}
