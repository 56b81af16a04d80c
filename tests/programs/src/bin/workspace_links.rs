//! Tries to leave links in `/workspace` that lead out of it, and makes the harmless links a program may need.
//!
//! The test plants `planted/deep/up` (a symbolic link to `../..`: the workspace
//! itself where it is, its parent once moved to the top) and `inside.txt`. Prints `DENIED <label>` or
//! `ALLOWED <label>` per attempt, in a fixed order.

use std::fs;
use std::io;

fn attempt(label: &str, result: io::Result<()>) {
    match result {
        Ok(()) => println!("ALLOWED {label}"),
        Err(error) => println!("DENIED {label} ({error})"),
    }
}

#[allow(deprecated)] // `soft_link` is the one stable way to make a symbolic link on wasm32-wasip1.
fn symlink(target: &str, link: &str) -> io::Result<()> {
    fs::soft_link(target, link)
}

fn main() {
    attempt("symlink-to-parent", symlink("..", "/workspace/parent"));
    attempt("symlink-relative-out", symlink("../../etc", "/workspace/etc"));
    attempt("symlink-absolute", symlink("/etc/passwd", "/workspace/passwd"));
    attempt("symlink-climbs-through-a-subdirectory", symlink("planted/../../x", "/workspace/climb"));
    attempt("symlink-in-subdirectory-to-its-parent", symlink("../inside.txt", "/workspace/planted/sibling"));
    attempt("symlink-to-itself", symlink(".", "/workspace/loop"));
    attempt("hardlink-to-symlink", fs::hard_link("/workspace/planted/deep/up", "/workspace/up-hardlink"));
    attempt("rename-climbing-symlink", fs::rename("/workspace/planted/deep/up", "/workspace/up"));

    attempt("symlink-down", symlink("inside.txt", "/workspace/down"));
    attempt("read-through-downward-symlink", fs::read_to_string("/workspace/down").map(drop));
    attempt("symlink-down-into-subdirectory", symlink("deep/up", "/workspace/planted/to-up"));
    attempt("hardlink-to-file", fs::hard_link("/workspace/inside.txt", "/workspace/inside-hardlink"));
    attempt("rename-downward-symlink", fs::rename("/workspace/down", "/workspace/planted/down"));
}
