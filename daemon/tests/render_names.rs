//! `ketenpost render` with references no file system takes as a name: the real binary on a
//! letter whose interchange reference is 300 characters long writes its PDF under a short,
//! safe name.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

#[test]
fn render_writes_a_letter_with_a_300_character_reference() {
    let dir = std::env::temp_dir().join(format!("ketenpost-render-long-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/messages/medvri_lf.edi");
    let reference = "LONG".repeat(75);
    let letter = String::from_utf8(std::fs::read(fixture).unwrap())
        .unwrap()
        .replace("IC1001", &reference);
    let input = dir.join("letter.edi");
    std::fs::write(&input, letter).unwrap();
    let out = dir.join("out");

    let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .arg("render")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    let name = &written[0];
    assert!(
        name.starts_with("LONGLONG") && name.ends_with(".pdf"),
        "{name}"
    );
    assert!(name.len() < 200, "{name}");
    let pdf = std::fs::read(out.join(name)).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(printed.trim(), out.join(name).display().to_string());
    let _ = std::fs::remove_dir_all(&dir);
}
