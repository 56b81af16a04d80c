//! Opens and reads each path given as an argument, and prints what happened: `OPENED <path> <bytes>` or `REFUSED <path> errno=<n>`.

use std::io::Read;

fn main() {
    for path in std::env::args().skip(1) {
        let result = std::fs::File::open(&path).and_then(|mut file| {
            let mut buffer = Vec::new();
            file.read_to_end(&mut buffer).map(|_| buffer.len())
        });
        match result {
            Ok(len) => println!("OPENED {path} {len}"),
            Err(error) => println!("REFUSED {path} errno={}", error.raw_os_error().unwrap_or(-1)),
        }
    }
}
