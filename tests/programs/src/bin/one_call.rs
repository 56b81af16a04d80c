//! The smallest useful guest, for the latency benchmark: proves one tool call round-trips by printing the `n` it sent (`1`).

use std::process::ExitCode;

fn main() -> ExitCode {
    match sluice_guest::call("demo", "echo", &serde_json::json!({ "n": 1 })) {
        Ok(output) => {
            println!("{}", output.value()["n"]);
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
