//! `guest-sdk/ABI.md` is the single source of the ABI: the host and the SDK must match its table.

use crate::support::root;

/// The rows of the function table in ABI.md: (name, params, results).
fn documented_functions() -> Vec<(String, usize, usize)> {
    let text = std::fs::read_to_string(root().join("guest-sdk/ABI.md")).expect("ABI.md exists");
    let table = text.split("## Functions").nth(1).expect("ABI.md has a Functions section");
    table
        .lines()
        .skip_while(|line| !line.starts_with("|---"))
        .skip(1)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_owned();
            let params = if cells[2] == "—" { 0 } else { cells[2].split(',').count() };
            let results = if cells[3] == "—" { 0 } else { 1 };
            (name, params, results)
        })
        .collect()
}

#[test]
fn the_host_implements_exactly_the_documented_functions() {
    let documented = documented_functions();
    assert_eq!(documented.len(), 8, "{documented:?}");
    let host: Vec<(String, usize, usize)> =
        sluice::abi_functions().iter().map(|(n, p, r)| (n.to_string(), *p, *r)).collect();
    assert_eq!(host, documented);
}

#[test]
fn the_guest_sdk_declares_every_documented_function() {
    let sys = std::fs::read_to_string(root().join("guest-sdk/src/sys.rs")).expect("the SDK has src/sys.rs");
    for (name, _, _) in documented_functions() {
        assert!(sys.contains(&format!("fn {name}(")), "guest-sdk/src/sys.rs does not declare {name}");
    }
}
