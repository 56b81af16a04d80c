//! Files, modules and skills in JavaScript programs: Node's fs and path on /workspace, imports as bundlers resolve them, helpers saved in /skills across runs, programs on stdin.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use sluice::{ExecutionPolicy, RunControl, RunOutcome, RunStatus, ToolHost};

use crate::javascript::javascript;
use crate::support::{ConcurrencyProbe, demo_tools, failure, root, stdout};

fn policy() -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default();
    policy.limits.deadline = Duration::from_secs(20);
    policy
}

fn tools() -> Arc<dyn ToolHost> {
    Arc::new(demo_tools(Arc::new(ConcurrencyProbe::default()), 1))
}

async fn run_source(name: &str, source: &str, policy: &ExecutionPolicy) -> RunOutcome {
    javascript().await.run(name, source, policy, tools(), &RunControl::new()).await.expect("the run starts")
}

async fn run_typescript(name: &str, source: &str, policy: &ExecutionPolicy) -> RunOutcome {
    javascript().await.run_typescript(name, source, policy, tools(), &RunControl::new()).await.expect("the run starts")
}

fn stderr(outcome: &RunOutcome) -> String {
    String::from_utf8_lossy(&outcome.stderr).into_owned()
}

fn assert_ok(outcome: &RunOutcome) {
    assert_eq!(outcome.status, RunStatus::Ok, "{}\n{}", stdout(outcome), stderr(outcome));
}

#[tokio::test]
async fn files_are_written_read_listed_and_removed_as_node_does() {
    let workspace = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(root().join("tests/programs/js/files.js")).unwrap();
    let outcome = run_source("files.js", &source, &policy().with_workspace(workspace.path())).await;
    assert_ok(&outcome);
    // Written by running `node ../files.js` in an empty directory (Node 20).
    let expected = std::fs::read_to_string(root().join("tests/programs/js/node/files.txt")).unwrap();
    let printed = stdout(&outcome);
    let first_difference = printed.lines().zip(expected.lines()).position(|(a, b)| a != b);
    assert_eq!(printed, expected, "first different line: {first_difference:?}");
    let left: Vec<String> = std::fs::read_dir(workspace.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.contains(&"renamed.txt".to_owned()), "the files are really on the host's disk: {left:?}");
}

#[tokio::test]
async fn sluice_fs_keeps_json_and_refuses_paths_outside_the_workspace_and_skills() {
    let workspace = tempfile::tempdir().unwrap();
    let source = r#"
        await sluice.fs.writeJSON('data/report.json', { open: 3, titles: ['a'] }).catch((e) => console.log(e.code));
        await sluice.fs.mkdir('data');
        await sluice.fs.writeJSON('data/report.json', { open: 3, titles: ['a'] });
        console.log(await sluice.fs.readJSON('/workspace/data/report.json'), await sluice.fs.exists('data/report.json'));
        console.log(await sluice.fs.exists('data/nothing.json'));
        for (const path of ['/etc/passwd', '../outside.txt', '/workspace/../tmp/x']) {
          await sluice.fs.readFile(path).catch((e) => console.log(e.code, e.message));
        }
        await sluice.fs.writeFile('bad.json', '{ nope');
        await sluice.fs.readJSON('bad.json').catch((e) => console.log(e.name, e.message.startsWith('bad.json is not valid JSON')));
    "#;
    let outcome = run_source("json.js", source, &policy().with_workspace(workspace.path())).await;
    assert_ok(&outcome);
    let outside = "(programs reach only files under /workspace and /skills)";
    assert_eq!(
        stdout(&outcome),
        format!(
            "ENOENT\n\
             {{ open: 3, titles: [ 'a' ] }} true\n\
             false\n\
             EACCES EACCES: permission denied, open '/etc/passwd' {outside}\n\
             EACCES EACCES: permission denied, open '../outside.txt' {outside}\n\
             EACCES EACCES: permission denied, open '/workspace/../tmp/x' {outside}\n\
             SyntaxError true\n"
        )
    );
    let written = std::fs::read_to_string(workspace.path().join("data/report.json")).unwrap();
    assert_eq!(written, "{\n  \"open\": 3,\n  \"titles\": [\n    \"a\"\n  ]\n}\n");
}

#[tokio::test]
async fn a_run_without_a_workspace_is_told_it_has_none_and_how_to_get_one() {
    let source = "
        import { readFile } from 'node:fs/promises';
        await readFile('notes.txt', 'utf8');
    ";
    let outcome = run_source("nows.js", source, &policy()).await;
    assert!(matches!(outcome.status, RunStatus::Failed { .. }), "{outcome:?}");
    let message = failure(&outcome);
    assert!(message.contains("ENOENT: no such file or directory, open 'notes.txt'"), "{message}");
    assert!(message.contains("this run has no workspace"), "{message}");
    assert!(message.contains("ExecutionPolicy::with_workspace"), "{message}");
    assert!(message.contains("at <anonymous> (nows.js:3:"), "the stack names the program's own line: {message}");
    assert!(!message.contains("eval_script"), "and none of the API's frames: {message}");
}

#[tokio::test]
async fn file_writes_from_javascript_stay_inside_the_workspace_caps() {
    let workspace = tempfile::tempdir().unwrap();
    let mut capped = policy().with_workspace(workspace.path());
    capped.limits.workspace_bytes = 1000;
    capped.limits.workspace_files = 3;
    let source = "
        import fs from 'node:fs';
        try { fs.writeFileSync('big.txt', 'x'.repeat(2000)); } catch (e) { console.log(e.code, e.message); }
        for (const name of ['a', 'b', 'c', 'd']) {
          try { fs.writeFileSync(name, name); } catch (e) { console.log(name, e.code); }
        }
    ";
    let outcome = run_source("caps.js", source, &capped).await;
    assert_ok(&outcome);
    assert_eq!(
        stdout(&outcome),
        "ENOSPC ENOSPC: no space left on device, open 'big.txt' (the run's workspace limits are reached \
         (sluice run --max-workspace, --max-workspace-files))\n\
         c EDQUOT\n\
         d EDQUOT\n"
    );
    // The refused write had already created `big.txt`, the third entry.
    assert_eq!(outcome.stats.workspace_refusals, 3, "{:?}", outcome.stats);
    assert_eq!(
        std::fs::metadata(workspace.path().join("big.txt")).unwrap().len(),
        0,
        "the refused write wrote nothing"
    );
}

#[tokio::test]
async fn typescript_json_and_extensionless_imports_resolve_as_a_bundler_resolves_them() {
    let workspace = root().join("tests/programs/js/modules");
    let source = std::fs::read_to_string(workspace.join("main.ts")).unwrap();
    let outcome = run_typescript("main.ts", &source, &policy().with_workspace(&workspace)).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "9 square of area 9 42\nmodules [ 1, 2, 3 ] true\n4\n");
}

#[tokio::test]
async fn generated_typescript_bindings_import_as_they_are() {
    let workspace = tempfile::tempdir().unwrap();
    let demo = tools();
    for file in sluice::bindings::generate(
        "demo",
        "Tools for testing the sandbox",
        &demo.list_tools("demo").await.unwrap(),
        sluice::bindings::Language::TypeScript,
    ) {
        std::fs::write(workspace.path().join(&file.path), file.contents).unwrap();
    }
    let source = "import { add } from './demo';\nconst { sum } = await add({ a: 2, b: 3 });\nconsole.log(sum);\n";
    let outcome = run_source("main.js", source, &policy().with_workspace(workspace.path())).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "5\n");
}

#[tokio::test]
async fn imported_typescript_that_cannot_be_stripped_fails_saying_where() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("colors.ts"), "export const x = 1;\nenum Color { Red }\n").unwrap();
    let outcome =
        run_source("main.js", "import { x } from './colors';", &policy().with_workspace(workspace.path())).await;
    assert!(matches!(outcome.status, RunStatus::Failed { .. }), "{outcome:?}");
    let message = failure(&outcome);
    assert!(message.contains("SyntaxError") && message.contains("colors.ts:2:1"), "{message}");
}

#[tokio::test]
async fn a_run_may_have_only_so_many_typescript_modules_stripped() {
    let workspace = tempfile::tempdir().unwrap();
    for index in 0..260 {
        std::fs::write(workspace.path().join(format!("m{index}.ts")), format!("export const n: number = {index};"))
            .unwrap();
    }
    let source = "
        let loaded = 0;
        for (let i = 0; i < 260; i++) {
          try {
            await import(`./m${i}.ts`);
            loaded++;
          } catch (error) {
            console.log(loaded, error.message);
            break;
          }
        }
    ";
    let outcome = run_source("many.js", source, &policy().with_workspace(workspace.path())).await;
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    assert!(printed.starts_with("256 "), "{printed}");
    assert!(printed.contains("one run may have at most 256"), "{printed}");
}

#[tokio::test]
async fn node_modules_sluice_lacks_and_packages_are_refused_by_name() {
    let source = "
        for (const name of ['os', 'node:child_process', 'lodash', '../../etc/passwd']) {
          await import(name).catch((error) => console.log(error.message));
        }
    ";
    let workspace = tempfile::tempdir().unwrap();
    let outcome = run_source("refused.js", source, &policy().with_workspace(workspace.path())).await;
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 4, "{printed}");
    assert!(
        lines[0].contains("Node's 'os' module is not available in Sluice") && lines[0].contains("node:fs"),
        "{printed}"
    );
    assert!(lines[1].contains("Node's 'child_process' module"), "{printed}");
    assert!(lines[2].contains("there are no npm packages"), "{printed}");
    assert!(lines[3].contains("outside /workspace and /skills"), "{printed}");
}

#[tokio::test]
async fn read_only_skills_are_listed_with_their_doc_comment_imported_and_not_writable() {
    let skills = tempfile::tempdir().unwrap();
    std::fs::create_dir(skills.path().join("github")).unwrap();
    std::fs::write(
        skills.path().join("greet.js"),
        "/**\n * Greets someone.\n * Politely.\n */\nexport const greet = (n) => `hi ${n}`;\n",
    )
    .unwrap();
    std::fs::write(
        skills.path().join("github/issues.ts"),
        "// Open issues, oldest first.\nexport function oldest(list: number[]): number { return Math.min(...list); }\n",
    )
    .unwrap();
    std::fs::write(skills.path().join("notes.txt"), "not a skill").unwrap();
    let source = "
        import { greet } from '/skills/greet.js';
        import { oldest } from 'skills/github/issues';
        console.log(JSON.stringify(await sluice.skills()));
        console.log(greet('ada'), oldest([3, 1, 2]));
        await sluice.fs.writeFile('/skills/new.js', 'x').catch((e) => console.log(e.code, e.message.includes('--skills-writable')));
    ";
    let outcome = run_source("skills.js", source, &policy().with_skills(skills.path(), false)).await;
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    let lines: Vec<&str> = printed.lines().collect();
    let listed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([
            { "name": "github/issues", "path": "/skills/github/issues.ts", "description": "Open issues, oldest first." },
            { "name": "greet", "path": "/skills/greet.js", "description": "Greets someone.\nPolitely." },
        ])
    );
    assert_eq!(lines[1], "hi ada 1");
    assert!(lines[2].ends_with(" true"), "the refusal says how to make /skills writable: {printed}");
    assert!(!skills.path().join("new.js").exists());
}

#[tokio::test]
async fn without_skills_the_list_is_empty_and_an_import_says_how_to_mount_them() {
    let source = "
        console.log(JSON.stringify(await sluice.skills()));
        await import('/skills/x.js').catch((error) => console.log(error.message));
    ";
    let outcome = run_source("noskills.js", source, &policy()).await;
    assert_ok(&outcome);
    let printed = stdout(&outcome);
    assert!(printed.starts_with("[]\n"), "{printed}");
    assert!(printed.contains("this run has no /skills directory") && printed.contains("--skills DIR"), "{printed}");
}

/// The modules `guest-sdk/sluice.d.ts` declares, each with the names it exports
/// (`export * from` another declared module counts as that module's names).
fn declared_modules() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root().join("guest-sdk/sluice.d.ts")).unwrap();
    let mut modules: Vec<(String, Vec<String>, Option<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("declare module \"") {
            modules.push((rest.split('"').next().unwrap().to_owned(), Vec::new(), None));
        } else if let Some((_, names, reexport)) = modules.last_mut() {
            let line = line.trim();
            if let Some(from) = line.strip_prefix("export * from \"") {
                *reexport = Some(from.trim_end_matches("\";").to_owned());
            } else if let Some(rest) =
                line.strip_prefix("export const ").or_else(|| line.strip_prefix("export function "))
            {
                names.push(rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect());
            }
        }
    }
    let resolved: Vec<(String, Vec<String>)> = modules
        .iter()
        .map(|(name, names, reexport)| {
            let mut names = match reexport {
                Some(from) => modules.iter().find(|(n, ..)| n == from).expect("re-exports a declared module").1.clone(),
                None => names.clone(),
            };
            names.sort();
            (name.clone(), names)
        })
        .collect();
    resolved
}

#[tokio::test]
async fn the_declaration_file_declares_exactly_the_node_modules_programs_import() {
    let declared = declared_modules();
    let names: Vec<&str> = declared.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["node:fs/promises", "fs/promises", "node:fs", "fs", "node:path", "path", "node:path/posix", "path/posix"]
    );
    for (module, exports) in declared {
        let source = format!(
            "import * as m from '{module}';\nconsole.log(Object.keys(m).filter((k) => k !== 'default').sort().join(' '));"
        );
        let outcome = run_source("modules.js", &source, &policy()).await;
        assert_ok(&outcome);
        assert_eq!(stdout(&outcome).trim_end(), exports.join(" "), "{module}: run-time exports vs sluice.d.ts");
    }
}

// ----- the CLI: skills across two processes, programs on stdin -----

fn sluice(args: &[&str], cache: &Path, stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sluice"));
    command
        .args(args)
        .env("SLUICE_CACHE_DIR", cache)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("sluice starts");
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        std::io::Write::write_all(&mut input, text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_helper_saved_in_one_run_is_imported_by_the_next() {
    let cache = tempfile::tempdir().unwrap();
    let skills = tempfile::tempdir().unwrap();
    let example = root().join("examples/skills.js");
    let (example, dir) = (example.to_str().unwrap(), skills.path().to_str().unwrap());

    let first = sluice(&["run", "--skills", dir, "--skills-writable", example], cache.path(), None);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout), "saved tally to /skills/tally.js; run again to use it\n");
    assert!(skills.path().join("tally.js").is_file(), "the helper outlives the run");

    let second = sluice(&["run", "--skills", dir, example], cache.path(), None);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout),
        "found tally: Counts how often each value occurs: tally(['a', 'b', 'a']) is { a: 2, b: 1 }.\n\
         { open: 3, closed: 1 }\n"
    );
}

#[test]
fn a_skills_directory_overlapping_the_cache_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache");
    let program = root().join("tests/programs/js/hello.js");
    let output = sluice(&["run", "--skills", home.path().to_str().unwrap(), program.to_str().unwrap()], &cache, None);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("overlaps the compiled-code cache"), "{}", text(&output.stderr));
}

#[test]
fn sluice_run_dash_reads_the_program_from_stdin_in_the_language_asked_for() {
    let cache = tempfile::tempdir().unwrap();
    let typescript =
        sluice(&["run", "--lang", "ts", "-"], cache.path(), Some("const n: number = 6 * 7;\nconsole.log(n);\n"));
    assert_eq!(typescript.status.code(), Some(0), "{}", text(&typescript.stderr));
    assert_eq!(text(&typescript.stdout), "42\n");

    let javascript = sluice(&["run", "-", "--", "x"], cache.path(), Some("console.log(sluice.args, process.argv[1]);"));
    assert_eq!(javascript.status.code(), Some(0), "{}", text(&javascript.stderr));
    assert_eq!(text(&javascript.stdout), "[ 'x' ] stdin.js\n");

    let wat = std::fs::read_to_string(crate::support::wat("hello.wat")).unwrap();
    let webassembly = sluice(&["run", "-"], cache.path(), Some(&wat));
    assert_eq!(webassembly.status.code(), Some(0), "{}", text(&webassembly.stderr));
    assert_eq!(text(&webassembly.stdout), "hello, sluice\n");
}

#[test]
fn a_file_of_unknown_extension_is_refused_saying_which_extensions_mean_what() {
    let cache = tempfile::tempdir().unwrap();
    let program = tempfile::Builder::new().suffix(".py").tempfile().unwrap();
    std::fs::write(program.path(), "console.log(1)").unwrap();
    let path = program.path().to_str().unwrap();
    let refused = sluice(&["run", path], cache.path(), None);
    assert_eq!(refused.status.code(), Some(2));
    let message = text(&refused.stderr);
    assert!(
        message.contains(".js and .mjs are JavaScript, .ts and .mts TypeScript, .wasm and .wat WebAssembly")
            && message.contains("--lang"),
        "{message}"
    );
    let forced = sluice(&["run", "--lang", "js", path], cache.path(), None);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(text(&forced.stdout), "1\n");
}

#[tokio::test]
async fn writes_to_writable_skills_are_metered_by_the_workspace_caps() {
    let skills = tempfile::tempdir().unwrap();
    let mut capped = policy().with_skills(skills.path(), true);
    capped.limits.workspace_bytes = 100;
    let source = "
        await sluice.fs.writeFile('/skills/small.js', 'export const x = 1;');
        await sluice.fs.writeFile('/skills/big.js', 'x'.repeat(200)).catch((e) => console.log(e.code));
        console.log((await import('/skills/small.js')).x);
    ";
    let outcome = run_source("save.js", source, &capped).await;
    assert_ok(&outcome);
    assert_eq!(stdout(&outcome), "ENOSPC\n1\n");
    assert_eq!(outcome.stats.workspace_refusals, 1, "{:?}", outcome.stats);
    assert_eq!(std::fs::read_to_string(skills.path().join("small.js")).unwrap(), "export const x = 1;");
}
