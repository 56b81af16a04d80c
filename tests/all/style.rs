//! House rules checked as tests: every Rust file says what it is for, and `unsafe` stays where it is justified.

use std::path::{Path, PathBuf};

use crate::support::root;

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_file_opens_with_a_doc_line_saying_what_it_is_for() {
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples", "guest-sdk/src", "sandboxes/js/src"] {
        rust_files(&root().join(dir), &mut files);
    }
    files.extend(["build.rs", "sandboxes/js/build.rs"].map(|file| root().join(file)));
    assert!(files.len() > 10, "found only {files:?}");
    let missing: Vec<_> = files
        .iter()
        .filter(|path| !std::fs::read_to_string(path).unwrap().starts_with("//!"))
        .map(|path| path.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(missing.is_empty(), "these files do not start with a `//!` line: {missing:?}");
}

#[test]
fn unsafe_code_in_the_library_lives_only_in_the_module_cache_with_a_safety_comment() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let uses_unsafe = text.lines().any(|line| {
            let code = line.split("//").next().unwrap_or("");
            code.contains("unsafe {") || code.contains("unsafe fn") || code.contains("unsafe impl")
        });
        if path.ends_with("src/module_cache.rs") {
            assert!(text.contains("// SAFETY:"), "module_cache.rs must justify its unsafe block");
        } else {
            assert!(!uses_unsafe, "{} uses unsafe; keep it in src/module_cache.rs", path.display());
        }
    }
}
