//! A server whose tool list is hostile (`tests/servers/hostile_tools.py`): what it sends reaches generated code and the terminal only as text.

use std::process::Command;

use serde_json::json;

use crate::support::root;

/// The test venv's python, under `$SLUICE_TEST_SERVERS` or `target/test-servers`.
fn python() -> String {
    let servers = std::env::var_os("SLUICE_TEST_SERVERS")
        .map_or_else(|| root().join("target/test-servers"), std::path::PathBuf::from);
    let path = servers.join("venv/bin/python");
    assert!(path.exists(), "{} is missing: run `bash .ci/setup` (the README's test command does)", path.display());
    path.to_string_lossy().into_owned()
}

/// Identifiers of macros that read files or the environment at build time.
#[derive(Default)]
struct Idents(Vec<String>);

impl<'ast> syn::visit::Visit<'ast> for Idents {
    fn visit_ident(&mut self, ident: &'ast syn::Ident) {
        self.0.push(ident.to_string());
    }
}

#[test]
fn a_hostile_tool_list_reaches_bindings_and_sluice_tools_only_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = json!({ "command": python(), "args": [root().join("tests/servers/hostile_tools.py")] });
    std::fs::write(dir.path().join("servers.json"), json!({ "mcpServers": { "hostile": server } }).to_string())
        .unwrap();
    let sluice = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .args(["--config", "servers.json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };

    for lang in ["rust", "ts"] {
        sluice(&["bindings", "--server", "hostile", "--lang", lang, "--out", "out"]);
    }
    let rust = std::fs::read_to_string(dir.path().join("out/hostile.rs")).unwrap();
    let file = syn::parse_file(&rust).unwrap_or_else(|e| panic!("{e}\n{rust}"));
    let mut idents = Idents::default();
    syn::visit::visit_file(&mut idents, &file);
    assert!(!idents.0.iter().any(|i| i == "include_str" || i == "env"), "code escaped a comment:\n{rust}");
    assert_eq!(rust.matches("\npub fn ").count(), 5, "one function per callable tool:\n{rust}");
    let typescript = std::fs::read_to_string(dir.path().join("out/hostile.ts")).unwrap();
    let javascript = sluice::strip_types("hostile.ts", &typescript).unwrap();
    assert_eq!(javascript.matches("export function ").count(), 5, "{javascript}");

    for path in ["servers/", "servers/hostile/", "servers/hostile/index.d.ts", "servers/hostile/call.d.ts"] {
        let shown = sluice(&["tools", path]);
        let raw = shown.chars().find(|c| sluice::tools::text::is_unsafe_char(*c) && *c != '\n');
        assert_eq!(raw, None, "{path} prints a raw control character:\n{shown}");
        assert!(shown.lines().all(|line| line.chars().count() <= 400), "{path}: a name is not cut:\n{shown}");
    }
}
