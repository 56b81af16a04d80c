//! `sluice-bench-tokens`: runs the token-savings scenarios and prints the table.

#![forbid(unsafe_code)]

fn main() {}
