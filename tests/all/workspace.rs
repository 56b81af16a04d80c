//! The workspace under attack: disk quotas, special files that would block, links that lead out, and scratch workspaces removed after the run.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice::RunControl;
use sluice::{ExecutionPolicy, JavaScript, NoTools, RunOutcome, RunStatus};
use tokio::sync::OnceCell;

use crate::support::{assert_still_healthy, load_wat, run, runtime, stdout, test_program};

/// WASI's errno values, as a wasm32-wasip1 program reports them.
const EACCES: u32 = 2;
const EDQUOT: u32 = 19;
const ENOSPC: u32 = 51;

fn policy(workspace: &Path) -> ExecutionPolicy {
    let mut policy = ExecutionPolicy::default().with_workspace(workspace);
    policy.limits.deadline = Duration::from_secs(20);
    policy
}

async fn fill(mode: &str, policy: &ExecutionPolicy) -> RunOutcome {
    let policy = policy.clone().with_args([mode]);
    let outcome = run(&test_program("workspace_fill"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    assert!(stdout(&outcome).ends_with("HANDLED\n"), "the program handles the error itself: {}", stdout(&outcome));
    outcome
}

#[tokio::test]
async fn writes_past_the_byte_cap_fail_with_no_space_left_and_the_stats_say_so() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_bytes = 1 << 20;
    let outcome = fill("bytes", &policy).await;
    assert!(stdout(&outcome).starts_with(&format!("bytes {} errno={ENOSPC}\n", 1 << 20)), "{}", stdout(&outcome));
    assert_eq!(outcome.stats.workspace_bytes, 1 << 20);
    assert_eq!(outcome.stats.workspace_refusals, 1);
    assert_eq!(std::fs::metadata(workspace.path().join("fill.bin")).unwrap().len(), 1 << 20);
    assert_still_healthy().await;
}

#[tokio::test]
async fn growing_a_file_by_its_length_or_by_writing_far_past_its_end_counts_against_the_cap() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_bytes = 1 << 20;
    for (mode, file) in [("grow", "sparse.bin"), ("gap", "gap.bin")] {
        let outcome = fill(mode, &policy).await;
        assert!(stdout(&outcome).starts_with(&format!("{mode} 0 errno={ENOSPC}\n")), "{}", stdout(&outcome));
        assert_eq!(std::fs::metadata(workspace.path().join(file)).unwrap().len(), 0, "{mode}");
        assert_eq!(outcome.stats.workspace_refusals, 1, "{mode}");
    }
    assert_still_healthy().await;
}

#[tokio::test]
async fn creating_files_past_the_entry_cap_fails_with_quota_exceeded() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_files = 50;
    let outcome = fill("files", &policy).await;
    assert!(stdout(&outcome).starts_with(&format!("files 50 errno={EDQUOT}\n")), "{}", stdout(&outcome));
    assert_eq!(outcome.stats.workspace_entries, 50);
    assert_eq!(std::fs::read_dir(workspace.path()).unwrap().count(), 50);
    assert_still_healthy().await;
}

#[tokio::test]
async fn directories_past_the_depth_cap_are_refused() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_depth = 10;
    let outcome = fill("depth", &policy).await;
    assert!(stdout(&outcome).starts_with(&format!("depth 10 errno={EDQUOT}\n")), "{}", stdout(&outcome));
    assert!(workspace.path().join(["d"; 10].join("/")).is_dir());
    assert!(!workspace.path().join(["d"; 11].join("/")).exists());
    assert_still_healthy().await;
}

#[tokio::test]
async fn stdout_and_stderr_do_not_count_against_the_workspace() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_bytes = 1 << 20;
    policy.limits.output_bytes = 16 << 20;
    let outcome = fill("stdout", &policy).await;
    let output = stdout(&outcome);
    assert!(output.ends_with("stdout 0 errno=none\nHANDLED\n"), "{}", &output[output.len().saturating_sub(200)..]);
    assert_eq!(outcome.stats.stdout_bytes, (4 << 20) + "stdout 0 errno=none\nHANDLED\n".len() as u64);
    assert_eq!(outcome.stats.workspace_bytes, 0);
    assert_eq!(outcome.stats.workspace_refusals, 0);
}

/// Makes a FIFO at `path` (`mkfifo`).
fn mkfifo(path: &Path) {
    rustix::fs::mknodat(rustix::fs::CWD, path, rustix::fs::FileType::Fifo, rustix::fs::Mode::RUSR, 0).unwrap();
}

/// Lets anything still blocked opening the FIFO at `path` for reading go on
/// (opening it for writing, without blocking, fails when no one waits).
fn release_fifo(path: &Path) {
    use rustix::fs::{Mode, OFlags};
    let _ = rustix::fs::open(path, OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty());
}

#[tokio::test]
async fn a_fifo_or_socket_in_the_workspace_is_refused_at_once_instead_of_blocking_forever() {
    let workspace = tempfile::tempdir().unwrap();
    let fifo = workspace.path().join("pipe");
    mkfifo(&fifo);
    let _socket = std::os::unix::net::UnixListener::bind(workspace.path().join("socket")).unwrap();
    std::fs::write(workspace.path().join("file.txt"), "hello").unwrap();
    let mut policy =
        policy(workspace.path()).with_args(["/workspace/pipe", "/workspace/socket", "/workspace/file.txt"]);
    policy.limits.deadline = Duration::from_secs(5);
    let outcome = run(&test_program("workspace_open"), &policy, Arc::new(NoTools)).await;
    release_fifo(&fifo);
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    let output = stdout(&outcome);
    assert!(output.contains(&format!("REFUSED /workspace/pipe errno={EACCES}\n")), "{output}");
    assert!(output.contains(&format!("REFUSED /workspace/socket errno={EACCES}\n")), "{output}");
    assert!(output.contains("OPENED /workspace/file.txt 5\n"), "{output}");
    assert_eq!(outcome.stats.workspace_denials, 2);
    assert_still_healthy().await;
}

async fn javascript() -> &'static JavaScript {
    static JAVASCRIPT: OnceCell<JavaScript> = OnceCell::const_new();
    JAVASCRIPT.get_or_init(|| async { JavaScript::load(runtime()).await.expect("the interpreter loads") }).await
}

#[tokio::test]
async fn a_javascript_program_importing_a_fifo_fails_at_once() {
    let workspace = tempfile::tempdir().unwrap();
    let fifo = workspace.path().join("pipe.js");
    mkfifo(&fifo);
    let mut policy = policy(workspace.path());
    policy.limits.deadline = Duration::from_secs(5);
    let source = "import './pipe.js';\nconsole.log('imported');\n";
    let outcome =
        javascript().await.run("main.js", source, &policy, Arc::new(NoTools), &RunControl::new()).await.unwrap();
    release_fifo(&fifo);
    assert!(
        matches!(outcome.status, RunStatus::Failed { .. }),
        "fails rather than waiting out its deadline: {outcome:?}"
    );
    assert!(outcome.error_message().is_some_and(|error| error.contains("pipe.js")), "{outcome:?}");
    assert!(!stdout(&outcome).contains("imported"));
    assert_still_healthy().await;
}

#[test]
fn the_cli_exits_when_a_program_opens_a_fifo_in_its_workspace() {
    let workspace = tempfile::tempdir().unwrap();
    let fifo = workspace.path().join("pipe.js");
    mkfifo(&fifo);
    let program = workspace.path().join("main.js");
    std::fs::write(&program, "import './pipe.js';\n").unwrap();
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", program.to_str().unwrap(), "--timeout", "2s", "--workspace", workspace.path().to_str().unwrap()])
        .env("SLUICE_CACHE_DIR", cache.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if status.is_none() {
        release_fifo(&fifo);
        let _ = child.kill();
        let _ = child.wait();
    }
    let status = status.expect("sluice exits instead of hanging on the FIFO forever");
    assert_eq!(status.code(), Some(1));
}

#[tokio::test]
async fn links_that_could_lead_out_of_the_workspace_are_refused() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(workspace.path().join("planted/deep")).unwrap();
    std::os::unix::fs::symlink("../..", workspace.path().join("planted/deep/up")).unwrap();
    std::fs::write(workspace.path().join("inside.txt"), "inside").unwrap();

    let outcome = run(&test_program("workspace_links"), &policy(workspace.path()), Arc::new(NoTools)).await;
    assert_eq!(outcome.status, RunStatus::Ok, "{outcome:?}");
    let output = stdout(&outcome);
    for label in [
        "symlink-to-parent",
        "symlink-relative-out",
        "symlink-absolute",
        "symlink-climbs-through-a-subdirectory",
        "symlink-in-subdirectory-to-its-parent",
        "symlink-to-itself",
        "hardlink-to-symlink",
        "rename-climbing-symlink",
    ] {
        assert!(output.contains(&format!("DENIED {label} (")), "{label} was not denied:\n{output}");
    }
    for label in [
        "symlink-down",
        "symlink-down-into-subdirectory",
        "hardlink-to-file",
        "rename-downward-symlink",
        "read-through-downward-symlink",
    ] {
        assert!(output.contains(&format!("ALLOWED {label}\n")), "{label} was not allowed:\n{output}");
    }
    assert_eq!(outcome.stats.workspace_denials, 8);
    // What a host tool walking the workspace afterwards finds: no link of the
    // program's leads anywhere but down.
    assert_links_lead_down(workspace.path(), &[Path::new("planted/deep/up")]);
    assert_still_healthy().await;
}

/// Every symbolic link under `root` but the `planted` ones has a relative,
/// downward target.
fn assert_links_lead_down(root: &Path, planted: &[&Path]) {
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_symlink() && !planted.contains(&path.strip_prefix(root).unwrap()) {
                let target = std::fs::read_link(&path).unwrap();
                let climbs = target.components().any(|c| !matches!(c, std::path::Component::Normal(_)));
                assert!(!climbs, "{} leads to {}", path.display(), target.display());
            }
        }
    }
}

#[test]
fn the_cli_removes_its_scratch_workspace_and_takes_the_workspace_caps_as_flags() {
    let temp = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let program = crate::support::guest("tests/programs/Cargo.toml", "workspace_fill");
    let output = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["run", program.to_str().unwrap(), "--max-workspace-files", "20", "--max-workspace", "1MiB", "--"])
        .arg("files")
        .env("SLUICE_CACHE_DIR", cache.path())
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with(&format!("files 20 errno={EDQUOT}\n")), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "the scratch workspace is left behind: {left:?}");
}

#[tokio::test]
async fn a_directory_descriptor_does_not_reset_the_depth_count() {
    let workspace = tempfile::tempdir().unwrap();
    let mut policy = policy(workspace.path());
    policy.limits.workspace_depth = 1;
    let outcome = run(&load_wat("workspace_depth_by_descriptor.wat"), &policy, Arc::new(NoTools)).await;
    assert_eq!(outcome.exit_code(), Some(EDQUOT as i32), "{outcome:?}");
    assert!(workspace.path().join("a").is_dir());
    assert!(!workspace.path().join("a/b").exists());
    assert_still_healthy().await;
}
