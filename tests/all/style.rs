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

/// The compiler forbids `unsafe` (`[lints.rust] unsafe_code = "deny"` in
/// Cargo.toml, `#![forbid(unsafe_code)]` in the binary and the test and bench
/// targets); this checks the exemptions stay where they are justified: mapping
/// compiled code (the module cache), setting a parked program's memory aside
/// (`hibernate.rs`: reading, dropping and writing back its pages), and giving
/// back a pool slot's memory and joining its written ranges (`trim.rs`). Clippy's
/// `undocumented_unsafe_blocks` (denied in Cargo.toml) makes each block say why
/// it is sound.
#[test]
fn the_only_exemptions_from_the_unsafe_code_lint_are_the_module_cache_hibernation_and_slot_trimming() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("unsafe_code = \"deny\""), "Cargo.toml must deny unsafe code");
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "examples"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut exempt = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let allows = text.lines().filter(|line| line.trim_start().starts_with("#[allow(unsafe_code)]")).count();
        if allows > 0 {
            exempt.push((path.strip_prefix(root()).unwrap().display().to_string(), allows));
        }
    }
    exempt.sort();
    let expected = [
        ("src/module_cache.rs".to_owned(), 1),
        ("src/sandbox/hibernate.rs".to_owned(), 6),
        ("src/sandbox/trim.rs".to_owned(), 2),
    ];
    assert_eq!(exempt, expected, "allow(unsafe_code) outside the module cache, hibernation and slot trimming");
    for (file, allows) in expected {
        let text = std::fs::read_to_string(root().join(&file)).unwrap();
        assert!(text.matches("// SAFETY:").count() >= allows, "{file} must justify each unsafe block");
    }
    for target in
        ["src/main.rs", "tests/all/main.rs", "benches/run_latency.rs", "benches/serve.rs", "examples/embed.rs"]
    {
        let text = std::fs::read_to_string(root().join(target)).unwrap();
        assert!(text.contains("#![forbid(unsafe_code)]"), "{target} must forbid unsafe code");
    }
}

/// The interpreter is a crate of its own (built for the guest) and denies
/// `unsafe` too; QuickJS's C API is reached only from `json.rs` (results as
/// values), `site.rs` (call sites) and `heap.rs` (its arenas), each block of
/// them justified, and the one other exemption is the export the
/// pre-initialiser calls by name.
#[test]
fn the_interpreter_allows_unsafe_code_only_for_quickjss_c_api_and_its_export() {
    let manifest = std::fs::read_to_string(root().join("sandboxes/js/Cargo.toml")).unwrap();
    assert!(manifest.contains("unsafe_code = \"deny\""), "sandboxes/js/Cargo.toml must deny unsafe code");
    let mut files = Vec::new();
    rust_files(&root().join("sandboxes/js/src"), &mut files);
    let mut exempt = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let allows = text.lines().filter(|line| line.trim_start().starts_with("#![allow(unsafe_code)]")).count()
            + text.lines().filter(|line| line.trim_start().starts_with("#[allow(unsafe_code)]")).count();
        if allows > 0 {
            exempt.push((path.strip_prefix(root()).unwrap().display().to_string(), allows));
        }
    }
    exempt.sort();
    let c_api = ["heap.rs", "json.rs", "site.rs"];
    let mut expected: Vec<_> = c_api.iter().map(|file| (format!("sandboxes/js/src/{file}"), 1)).collect();
    expected.push(("sandboxes/js/src/main.rs".to_owned(), 1));
    expected.sort();
    assert_eq!(exempt, expected, "allow(unsafe_code) in the interpreter outside {c_api:?} and the wizer export");
    for file in c_api {
        let text = std::fs::read_to_string(root().join("sandboxes/js/src").join(file)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (number, line) in lines.iter().enumerate() {
            let justified = lines[number.saturating_sub(2)..=number].iter().any(|line| line.contains("// SAFETY:"));
            assert!(
                !line.contains("unsafe {") || justified,
                "{file}:{}: an unsafe block without a SAFETY comment",
                number + 1
            );
        }
    }
}
