//! The `ketenpost` command.

fn main() {}
