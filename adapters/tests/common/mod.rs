//! Shared by the PDF tests: the documents of every fixture and sample, files under the target
//! directory, and the poppler tools.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use ketenpost_domain::document::{Document, Field};
use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};

/// The workspace root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The public samples beside the clone (`../shared/samples`, or `$KETENPOST_SAMPLES`); `None`
/// when absent, which `CI=true` does not allow.
pub fn samples_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("KETENPOST_SAMPLES")
        .map_or_else(|| repo_root().join("../shared/samples"), PathBuf::from);
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "the samples {} are absent, and CI=true requires them",
        dir.display()
    );
    eprintln!("skipping the samples: {} is absent", dir.display());
    None
}

/// Every document of every `.edi` file in `dir`, named `<file>-<message number>`.
pub fn documents_in(dir: &Path) -> Vec<(String, Document)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "edi"))
        .collect();
    files.sort();
    let mut documents = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let Ok(Payload::Edifact(interchange)) = read_payload(&bytes) else {
            continue;
        };
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        for message in Message::read_all(&interchange) {
            if let Some(document) = message.document() {
                documents.push((format!("{stem}-{}", message.number), document));
            }
        }
    }
    documents
}

/// The documents of every fixture and every sample.
pub fn corpus() -> Vec<(String, Document)> {
    let mut documents = documents_in(&repo_root().join("fixtures/messages"));
    assert!(
        documents.len() >= 20,
        "the fixtures give {}",
        documents.len()
    );
    if let Some(samples) = samples_dir() {
        let from_samples = documents_in(&samples);
        assert!(
            from_samples.len() >= 8,
            "the samples give {}",
            from_samples.len()
        );
        documents.extend(from_samples);
    }
    documents
}

/// A fresh folder under the target directory.
pub fn fresh_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `tool`, failing loudly (not skipping) when it is not installed.
pub fn run_tool(tool: &str, args: &[&str]) -> String {
    let output = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): install the PDF test tools with scripts/test.sh \
             (apt-get install -y poppler-utils qpdf)"
        )
    });
    assert!(
        output.status.success(),
        "`{tool} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tool output is UTF-8")
}

/// `pdftotext -layout` of the whole file: text on one line of the page stays on one line.
pub fn page_text(path: &Path) -> String {
    run_tool(
        "pdftotext",
        &["-enc", "UTF-8", "-layout", path.to_str().unwrap(), "-"],
    )
}

/// Writes `bytes` to a fresh file under the target directory and returns its path.
pub fn write_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    let path = fresh_dir(&format!("pdf-{name}")).join(format!("{name}.pdf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The text of the whole file (or of pages `first..=last`), as `pdftotext` extracts it.
pub fn pdftotext(path: &Path, pages: Option<(usize, usize)>) -> String {
    let (first, last) = pages.map(|(f, l)| (f.to_string(), l.to_string())).unzip();
    let mut args = vec!["-enc", "UTF-8"];
    if let (Some(first), Some(last)) = (&first, &last) {
        args.extend(["-f", first.as_str(), "-l", last.as_str()]);
    }
    args.extend([path.to_str().unwrap(), "-"]);
    run_tool("pdftotext", &args)
}

/// The number of pages `pdfinfo` sees.
pub fn page_count(path: &Path) -> usize {
    let info = run_tool("pdfinfo", &[path.to_str().unwrap()]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints Pages:");
    line["Pages:".len()..].trim().parse().unwrap()
}

/// Collapses every run of whitespace to one space.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Asserts that the words of `needle` occur in `haystack` in order (line wrapping may put
/// any whitespace, or other text such as a footer, between them).
pub fn assert_words_in_order(haystack: &str, needle: &str) {
    let words: Vec<&str> = haystack.split_whitespace().collect();
    let mut at = 0;
    for word in needle.split_whitespace() {
        match words[at..].iter().position(|w| *w == word) {
            Some(offset) => at += offset + 1,
            None => panic!("word {word:?} of {needle:?} missing (or out of order) in:\n{haystack}"),
        }
    }
}

/// A header field.
pub fn field(label: &str, value: &str) -> Field {
    Field {
        label: label.into(),
        value: value.into(),
    }
}
