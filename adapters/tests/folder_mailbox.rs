//! The drop folder as a mailbox, on real files: which files wait (complete ones, in name
//! order, too large ones apart), reading within the memory budget, moving recorded files to
//! `done/`, and the same through the mailbox port. A file's name, which may hold a name or a
//! BSN, never appears in an id or a problem: files are named by inode.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::fresh_dir;
use ketenpost_adapters::folder_mailbox::{remote_id, FolderMailbox};
use ketenpost_domain::ports::{Mailbox, MailboxError};

const MIB: u64 = 1024 * 1024;

fn write(folder: &Path, name: &str, bytes: usize) {
    std::fs::write(folder.join(name), vec![b'x'; bytes]).unwrap();
}

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn complete_files_wait_in_name_order_and_too_large_ones_apart() {
    let dir = fresh_dir("folder-listing");
    write(&dir, "b Jansen 999990019.edi", 10);
    write(&dir, "a.edi", 10);
    write(&dir, ".hidden.edi", 10);
    write(&dir, "upload.edi.part", 10);
    write(&dir, "upload.edi.tmp", 10);
    write(&dir, "huge.edi", 2 * MIB as usize);
    std::fs::create_dir(dir.join("sub")).unwrap();
    let folder = FolderMailbox::new(dir.clone(), MIB, 4 * MIB);

    let listing = folder.list().await.unwrap();

    let ids: Vec<&str> = listing.files.iter().map(|f| f.remote_id.as_str()).collect();
    assert_eq!(
        ids,
        [remote_id("a.edi"), remote_id("b Jansen 999990019.edi")]
    );
    assert_eq!(listing.too_large.len(), 1);
    let huge = &listing.too_large[0];
    let inode = std::fs::metadata(dir.join("huge.edi")).unwrap().ino();
    assert_eq!(huge.inode, inode);
    let problem = folder.too_large_problem(huge);
    assert!(problem.contains(&format!("inode {inode}")), "{problem}");
    assert!(problem.contains("1 MiB"), "{problem}");
    assert!(
        !problem.contains("huge"),
        "the name is not shown: {problem}"
    );
    assert!(ids
        .iter()
        .all(|id| !id.contains("Jansen") && !id.contains("999990019")));
}

#[tokio::test]
async fn a_folder_that_cannot_be_read_is_a_problem_of_the_mailbox() {
    let dir = fresh_dir("folder-missing").join("not-there");
    let folder = FolderMailbox::new(dir.clone(), MIB, MIB);
    let error = folder.list().await.unwrap_err();
    assert!(!error.is_about_the_message());
    assert!(error
        .to_string()
        .contains(&format!("Cannot read {}", dir.display())));
}

#[tokio::test]
async fn sets_hold_no_more_than_the_budget_and_the_room_but_at_least_one_file() {
    let dir = fresh_dir("folder-sets");
    for name in ["1", "2", "3", "4", "5"] {
        write(&dir, name, 400 * 1024);
    }
    write(&dir, "6", 3 * 1024 * 1024);
    let folder = FolderMailbox::new(dir, 8 * MIB, MIB);
    let listing = folder.list().await.unwrap();
    let mut rest = listing.files.as_slice();

    let sizes = |set: &[ketenpost_adapters::folder_mailbox::WaitingFile]| set.len();
    assert_eq!(sizes(folder.next_set(&mut rest, 10)), 2, "two fit in 1 MiB");
    assert_eq!(sizes(folder.next_set(&mut rest, 1)), 1, "room for one");
    assert_eq!(sizes(folder.next_set(&mut rest, 10)), 2);
    let alone = folder.next_set(&mut rest, 10);
    assert_eq!(alone.len(), 1, "a file over the budget goes alone");
    assert_eq!(alone[0].size, 3 * MIB);
    assert!(rest.is_empty());
    assert!(folder.next_set(&mut rest, 10).is_empty());
}

#[tokio::test]
async fn recorded_files_move_to_done_without_overwriting_one_there() {
    let dir = fresh_dir("folder-done");
    std::fs::write(dir.join("letter.edi"), b"first").unwrap();
    std::fs::create_dir(dir.join("done")).unwrap();
    std::fs::write(dir.join("done/letter.edi"), b"earlier").unwrap();
    let folder = FolderMailbox::new(dir.clone(), MIB, MIB);
    let listing = folder.list().await.unwrap();

    let contents = folder.read(&listing.files).await.unwrap();
    assert_eq!(contents, [b"first".to_vec()]);
    folder.acknowledge_files(listing.files).await.unwrap();

    assert_eq!(names_in(&dir), ["done"]);
    assert_eq!(names_in(&dir.join("done")), ["letter.edi", "letter.edi.1"]);
    assert_eq!(
        std::fs::read(dir.join("done/letter.edi")).unwrap(),
        b"earlier"
    );
    assert_eq!(
        std::fs::read(dir.join("done/letter.edi.1")).unwrap(),
        b"first"
    );
}

#[tokio::test]
async fn a_file_gone_before_it_is_read_is_named_by_inode() {
    let dir = fresh_dir("folder-gone");
    write(&dir, "Jansen 999990019.edi", 10);
    let folder = FolderMailbox::new(dir.clone(), MIB, MIB);
    let listing = folder.list().await.unwrap();
    std::fs::remove_file(dir.join("Jansen 999990019.edi")).unwrap();

    let problem = folder.read(&listing.files).await.unwrap_err().to_string();
    assert!(
        problem.contains(&format!("inode {}", listing.files[0].inode)),
        "{problem}"
    );
    assert!(!problem.contains("Jansen") && !problem.contains("999990019"));
}

#[tokio::test]
async fn through_the_port_a_file_is_taken_then_acknowledged_into_done() {
    let dir = fresh_dir("folder-port");
    std::fs::write(dir.join("a.edi"), b"UNA:+.? '").unwrap();
    write(&dir, "huge.edi", 2 * MIB as usize);
    let folder = FolderMailbox::new(dir.clone(), MIB, MIB);

    let waiting = folder.waiting().await.unwrap();
    assert_eq!(waiting, [remote_id("a.edi"), remote_id("huge.edi")]);

    let (taken, hold) = folder.take(&waiting[0]).await.unwrap();
    assert_eq!(taken.content, b"UNA:+.? '");
    assert_eq!(taken.envelope, None, "a folder records no envelope");
    assert_eq!(names_in(&dir), ["a.edi", "huge.edi"], "taking leaves it");
    folder.acknowledge(&waiting[0]).await.unwrap();
    drop(hold);
    assert_eq!(names_in(&dir.join("done")), ["a.edi"]);

    let Err(MailboxError::Message(problem)) = folder.take(&waiting[1]).await else {
        panic!("a file too large is a problem of that message");
    };
    assert!(
        problem.contains("inode") && !problem.contains("huge"),
        "{problem}"
    );
    assert!(folder.waiting().await.unwrap().contains(&waiting[1]));

    let unknown = folder.acknowledge("file-unknown").await.unwrap_err();
    assert!(!unknown.is_about_the_message(), "{unknown}");
    assert_eq!(names_in(&dir), ["done", "huge.edi"]);
}
