//! Tries to fill the disk through `/workspace` in the way `argv[1]` names, stopping at the first error, and prints how far it got.
//!
//! Modes: `bytes` (write 64 KiB blocks to one file, up to 4 MiB), `files`
//! (create up to 1,000 empty files), `depth` (nest up to 1,000 directories),
//! `grow` (set a file's length to 1 TiB), `gap` (write one byte 1 TiB past the
//! end of a file), `stdout` (write 4 MiB to stdout and 4 MiB to stderr, which
//! are not the workspace). Each prints `<MODE> <count> errno=<n>` (or
//! `errno=none` if nothing failed), then `HANDLED`: an error the program can
//! handle, not a trap.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};

const TIB: u64 = 1 << 40;

fn report(mode: &str, count: u64, result: io::Result<()>) {
    let errno = match result {
        Ok(()) => "none".to_owned(),
        Err(error) => error.raw_os_error().map_or_else(|| format!("{error}"), |n| n.to_string()),
    };
    println!("{mode} {count} errno={errno}");
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "bytes" => {
            let block = vec![b'x'; 64 << 10];
            let mut file = File::create("/workspace/fill.bin").expect("the first file can be created");
            let mut written = 0u64;
            let result = loop {
                match file.write(&block) {
                    Ok(n) => written += n as u64,
                    Err(error) => break Err(error),
                }
                if written >= 4 << 20 {
                    break Ok(());
                }
            };
            report("bytes", written, result);
        }
        "files" => {
            let mut created = 0u64;
            let result = loop {
                match File::create(format!("/workspace/f{created}")) {
                    Ok(_) => created += 1,
                    Err(error) => break Err(error),
                }
                if created >= 1_000 {
                    break Ok(());
                }
            };
            report("files", created, result);
        }
        "depth" => {
            let mut path = String::from("/workspace");
            let mut depth = 0u64;
            let result = loop {
                path.push_str("/d");
                match fs::create_dir(&path) {
                    Ok(()) => depth += 1,
                    Err(error) => break Err(error),
                }
                if depth >= 1_000 {
                    break Ok(());
                }
            };
            report("depth", depth, result);
        }
        "grow" => {
            let file = File::create("/workspace/sparse.bin").expect("the file can be created");
            report("grow", 0, file.set_len(TIB));
        }
        "gap" => {
            let mut file = OpenOptions::new().write(true).create(true).truncate(true).open("/workspace/gap.bin").unwrap();
            let result = file.seek(SeekFrom::Start(TIB)).and_then(|_| file.write_all(b"!"));
            report("gap", 0, result);
        }
        "stdout" => {
            let block = vec![b'o'; 64 << 10];
            let mut result = Ok(());
            for _ in 0..64 {
                result = result.and_then(|()| io::stdout().write_all(&block)).and_then(|()| io::stderr().write_all(&block));
            }
            eprintln!();
            report("stdout", 0, result);
        }
        other => panic!("unknown mode {other:?}"),
    }
    println!("HANDLED");
}
