//! Proves `/workspace` is the only reachable host path: tries every way out (parent paths, absolute paths, a planted symlink), then shows the workspace itself reads and writes.
//!
//! Prints `DENIED <label>` or `ALLOWED <label>` per attempt, in a fixed order,
//! then `WORKSPACE ok` (or `WORKSPACE broken <why>`).

use std::fs;
use std::io;

fn attempt(label: &str, result: io::Result<()>) {
    match result {
        Ok(()) => println!("ALLOWED {label}"),
        Err(_) => println!("DENIED {label}"),
    }
}

fn main() {
    attempt("parent-read", fs::read("/workspace/../secret.txt").map(drop));
    attempt("dotdot-dir", fs::read_dir("..").map(drop));
    attempt("abs-etc-passwd", fs::read("/etc/passwd").map(drop));
    attempt("abs-tmp-write", fs::write("/tmp/sluice-escape.txt", "escaped"));
    attempt("symlink-read", fs::read("/workspace/escape-link/secret.txt").map(drop));
    attempt("symlink-write", fs::write("/workspace/escape-link/planted.txt", "planted"));
    attempt("root-list", fs::read_dir("/").map(drop));

    let round_trip =
        fs::write("/workspace/inside.txt", "hello").and_then(|()| fs::read_to_string("/workspace/inside.txt"));
    match round_trip {
        Ok(text) if text == "hello" => println!("WORKSPACE ok"),
        Ok(text) => println!("WORKSPACE broken read back {text:?}"),
        Err(error) => println!("WORKSPACE broken {error}"),
    }
}
