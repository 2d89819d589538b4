//! A real SMTP server for the tests: `scripts/smtp-sink.py` on Debian's python3-aiosmtpd,
//! started on a free loopback port; every mail it takes lands as a file the test reads. When
//! aiosmtpd is missing the test fails saying so (CI installs it), it does not skip.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running sink; stopped when dropped.
pub struct SmtpSink {
    child: Child,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    folder: PathBuf,
}

/// The Python that has Debian's packages (a pyenv or venv python on PATH may not).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

impl SmtpSink {
    /// Starts the sink writing into `folder`.
    pub fn start(folder: &Path) -> Self {
        Self::start_on(folder, 0)
    }

    /// Starts the sink on loopback port `port` (0: any free port) writing into `folder`.
    pub fn start_on(folder: &Path, port: u16) -> Self {
        let check = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .output()
            .expect("python3 is needed for the SMTP test server");
        assert!(
            check.status.success(),
            "the SMTP test server needs Debian's python3-aiosmtpd: apt-get install python3-aiosmtpd \
             (scripts/test.sh installs it)"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/smtp-sink.py");
        let mut child = Command::new(python())
            .arg(script)
            .args(["--listen", &format!("127.0.0.1:{port}"), "--folder"])
            .arg(folder)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the sink's port");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP sink did not start: {line:?}"));
        Self {
            child,
            port,
            folder: folder.to_owned(),
        }
    }

    /// The mails received so far, decoded (quoted-printable undone), oldest first.
    pub fn mails(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.folder)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        names.sort();
        names
            .iter()
            .map(|p| decode_quoted_printable(&std::fs::read_to_string(p).expect("read mail")))
            .collect()
    }

    /// Waits until `count` mails are there (bounded), and returns them.
    pub fn wait_for(&self, count: usize) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let mails = self.mails();
            if mails.len() >= count || Instant::now() > until {
                return mails;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes (the headers are left as they
/// are, which is enough for the tests).
pub fn decode_quoted_printable(text: &str) -> String {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first `https://...` link in `mail`.
pub fn link_in(mail: &str) -> String {
    let start = mail.find("https://").expect("a link in the mail");
    mail[start..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_owned()
}
