//! How many lines each example client takes, counted the way issue 16 counts them: lines
//! that are neither blank nor comments (`//`, `///`, `//!`), outside `#[cfg(test)]` items,
//! over every source file of the client (its own and the shared storage module it uses,
//! whole). The Queue client must stay within 250.
//!
//! Print the table: `cargo test -p clientcore-examples --test line_count -- --nocapture`.

use std::path::Path;

/// The files of each client, from `examples/src`.
const CLIENTS: &[(&str, &[&str])] = &[
    ("Queue", &["storage/queue.rs", "storage/mod.rs"]),
    (
        "Blob",
        &[
            "storage/blob.rs",
            "storage/mod.rs",
            "storage/properties.rs",
            "storage/sign.rs",
        ],
    ),
    (
        "Table",
        &[
            "storage/table.rs",
            "storage/mod.rs",
            "storage/properties.rs",
        ],
    ),
    ("Azion", &["azion.rs"]),
    ("ARM", &["arm.rs"]),
];

/// The Queue client's budget (issue 16's acceptance: the Python SDK's size, typed and safe).
const QUEUE_BUDGET: usize = 250;

/// Lines of `source` that are code: not blank, not a comment, not inside an item marked
/// `#[cfg(test)]` at the start of a line (skipped up to its closing `}` at the start of a
/// line).
fn code_lines(source: &str) -> usize {
    let mut in_test = false;
    let mut count = 0;
    for line in source.lines() {
        if in_test {
            in_test = line != "}";
            continue;
        }
        if line.starts_with("#[cfg(test)]") {
            in_test = true;
            continue;
        }
        let text = line.trim();
        if !text.is_empty() && !text.starts_with("//") {
            count += 1;
        }
    }
    count
}

fn client_lines(files: &[&str]) -> usize {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    files
        .iter()
        .map(|f| code_lines(&std::fs::read_to_string(src.join(f)).expect("a client source file")))
        .sum()
}

#[test]
fn the_queue_client_fits_its_budget() {
    for (name, files) in CLIENTS {
        println!(
            "{name:<6} {:>4}  ({})",
            client_lines(files),
            files.join(" + ")
        );
    }
    let queue = client_lines(CLIENTS[0].1);
    assert!(
        queue <= QUEUE_BUDGET,
        "the Queue client takes {queue} lines, over its budget of {QUEUE_BUDGET}"
    );
}

#[test]
fn the_count_skips_blanks_comments_and_tests() {
    let source = "//! Module docs.\n\nuse a::b;\n\n/// Docs.\nfn f() {\n    // why\n    g();\n}\n\
                  #[cfg(test)]\nmod tests {\n    fn t() {}\n}\nfn after() {}\n";
    assert_eq!(code_lines(source), 5);
}
