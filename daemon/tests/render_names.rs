//! The names `ketenpost render` gives its PDFs: a letter whose interchange reference is 300
//! characters long is written under a short, safe name, and a name already taken is never
//! overwritten without `--force`.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::path::Path;
use std::process::Command;

use binary::succeeded;

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
    let output = succeeded(output);
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

fn render(input: &Path, out: &Path, force: bool) -> Vec<String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketenpost"));
    command.arg("render").arg(input).arg("--out").arg(out);
    if force {
        command.arg("--force");
    }
    let output = succeeded(command.output().unwrap());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn two_letters_with_the_same_references_both_survive_and_force_overwrites() {
    let dir = std::env::temp_dir().join(format!("ketenpost-render-same-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/messages/medvri_lf.edi");
    let letter = String::from_utf8(std::fs::read(fixture).unwrap()).unwrap();
    let first = dir.join("first.edi");
    let second = dir.join("second.edi");
    std::fs::write(&first, &letter).unwrap();
    std::fs::write(&second, letter.replace("Geachte", "Beste")).unwrap();
    let out = dir.join("out");

    let a = render(&first, &out, false);
    let b = render(&second, &out, false);
    assert_eq!(a, [out.join("IC1001-1001.pdf").display().to_string()]);
    assert_eq!(b, [out.join("IC1001-1001-2.pdf").display().to_string()]);
    let first_pdf = std::fs::read(out.join("IC1001-1001.pdf")).unwrap();
    let second_pdf = std::fs::read(out.join("IC1001-1001-2.pdf")).unwrap();
    assert_ne!(
        first_pdf, second_pdf,
        "the first letter was not overwritten"
    );

    let forced = render(&second, &out, true);
    assert_eq!(forced, [out.join("IC1001-1001.pdf").display().to_string()]);
    assert_eq!(
        std::fs::read(out.join("IC1001-1001.pdf")).unwrap(),
        second_pdf
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}
