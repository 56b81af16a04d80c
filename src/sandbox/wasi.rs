//! The policy-to-WASI mapping: [`wasi_plan`] (pure, tested grant by grant) and the context built from it.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use super::output::CappedOutput;
use super::workspace::WorkspaceRules;
use crate::{ExecutionPolicy, ProgramInput};

/// Where the workspace appears inside the guest.
pub(crate) const WORKSPACE_GUEST_PATH: &str = "/workspace";
/// Where the skills directory appears inside the guest.
pub(crate) const SKILLS_GUEST_PATH: &str = "/skills";

/// One host directory the guest may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest sees it.
    pub guest: &'static str,
    /// Whether the guest may change what is in it.
    pub writable: bool,
}

/// Everything a run's WASI context grants, decided from the policy alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WasiPlan {
    /// `argv`, starting with the program name.
    pub args: Vec<String>,
    /// Environment variables. Always empty: nothing of the host's environment,
    /// credentials included, reaches a guest.
    pub env: Vec<(String, String)>,
    /// The host directories the guest may reach: the workspace (read-write,
    /// first, so it is descriptor 3), then the skills directory.
    pub preopens: Vec<Preopen>,
    /// What the guest may do in those directories (caps on bytes, entries and
    /// depth, counted over all of them; no special files; no links leading out).
    /// `None` exactly when there is no directory.
    pub workspace: Option<WorkspaceRules>,
    /// The seed of every random source of the guest.
    pub random_seed: u64,
    /// Whether sockets may be created or names resolved. Always false.
    pub network: bool,
    /// What the guest reads on stdin: only the run's own input (for the
    /// JavaScript sandbox, the program's source), never the host's stdin.
    pub stdin: Vec<u8>,
}

/// Maps a policy and a run's input to the WASI grants of one run. `fresh_seed`
/// is consulted only when the policy does not fix the seed.
pub(crate) fn wasi_plan(
    policy: &ExecutionPolicy,
    program_name: &str,
    input: &ProgramInput,
    fresh_seed: impl FnOnce() -> u64,
) -> WasiPlan {
    let mut args = Vec::with_capacity(policy.args.len() + 1);
    args.push(input.name.clone().unwrap_or_else(|| program_name.to_owned()));
    args.extend(policy.args.iter().cloned());
    let workspace =
        policy.workspace.iter().map(|dir| Preopen { host: dir.clone(), guest: WORKSPACE_GUEST_PATH, writable: true });
    let skills = policy.skills.iter().map(|grant| Preopen {
        host: grant.dir.clone(),
        guest: SKILLS_GUEST_PATH,
        writable: grant.writable,
    });
    let preopens: Vec<Preopen> = workspace.chain(skills).collect();
    WasiPlan {
        args,
        env: Vec::new(),
        workspace: (!preopens.is_empty()).then_some(WorkspaceRules {
            bytes: policy.limits.workspace_bytes,
            entries: policy.limits.workspace_files,
            depth: policy.limits.workspace_depth,
        }),
        preopens,
        random_seed: policy.random_seed.unwrap_or_else(fresh_seed),
        network: false,
        stdin: input.stdin.clone(),
    }
}

/// Why a WASI context could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the directory {} granted as {guest}", path.display())]
pub(crate) struct WorkspaceError {
    pub path: PathBuf,
    /// Where the guest would have seen it (`/workspace`, `/skills`).
    pub guest: &'static str,
    #[source]
    pub source: std::io::Error,
}

/// Builds the WASI context that [`wasi_plan`] describes, with capped stdout and stderr.
pub(crate) fn build_wasi(
    plan: &WasiPlan,
    stdout: CappedOutput,
    stderr: CappedOutput,
) -> Result<WasiP1Ctx, WorkspaceError> {
    let mut builder = WasiCtxBuilder::new();
    builder.args(&plan.args).envs(&plan.env).stdout(stdout).stderr(stderr);
    debug_assert!(!plan.network, "the plan never grants the network");
    if !plan.stdin.is_empty() {
        builder.stdin(MemoryInputPipe::new(plan.stdin.clone()));
    }
    builder.allow_tcp(plan.network).allow_udp(plan.network).allow_ip_name_lookup(plan.network);
    builder
        .secure_random(StdRng::seed_from_u64(plan.random_seed))
        .insecure_random(StdRng::seed_from_u64(plan.random_seed.rotate_left(32) ^ 0x5eed))
        .insecure_random_seed(u128::from(plan.random_seed));
    for preopen in &plan.preopens {
        check_directory(&preopen.host, preopen.guest)?;
        let perms = if preopen.writable { FsPerms::ReadWrite } else { FsPerms::ReadOnly };
        builder.preopened_dir(&preopen.host, preopen.guest, perms).map_err(|error| WorkspaceError {
            path: preopen.host.clone(),
            guest: preopen.guest,
            source: std::io::Error::other(error.to_string()),
        })?;
    }
    Ok(builder.build_p1())
}

fn check_directory(path: &Path, guest: &'static str) -> Result<(), WorkspaceError> {
    let error = |source| WorkspaceError { path: path.to_owned(), guest, source };
    let metadata = std::fs::metadata(path).map_err(error)?;
    if !metadata.is_dir() {
        return Err(error(std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a directory")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(policy: &ExecutionPolicy) -> WasiPlan {
        wasi_plan(policy, "prog.wasm", &ProgramInput::default(), || 7)
    }

    #[test]
    fn the_default_policy_grants_no_directory() {
        assert_eq!(plan(&ExecutionPolicy::default()).preopens, []);
        assert_eq!(plan(&ExecutionPolicy::default()).workspace, None);
    }

    #[test]
    fn a_skills_grant_preopens_that_directory_as_skills_read_only_unless_writable() {
        let read_only = plan(&ExecutionPolicy::default().with_skills("/srv/skills", false));
        assert_eq!(
            read_only.preopens,
            [Preopen { host: PathBuf::from("/srv/skills"), guest: "/skills", writable: false }]
        );
        let writable = plan(&ExecutionPolicy::default().with_skills("/srv/skills", true));
        assert!(writable.preopens[0].writable);
    }

    #[test]
    fn skills_beside_a_workspace_come_second_and_share_its_caps() {
        let policy = ExecutionPolicy::default().with_workspace("/srv/ws").with_skills("/srv/skills", true);
        let plan = plan(&policy);
        let guests: Vec<&str> = plan.preopens.iter().map(|p| p.guest).collect();
        assert_eq!(guests, ["/workspace", "/skills"], "the workspace keeps descriptor 3");
        assert_eq!(plan.workspace, Some(WorkspaceRules { bytes: 256 << 20, entries: 10_000, depth: 128 }));
    }

    #[test]
    fn read_only_skills_alone_are_still_guarded_against_special_files() {
        let plan = plan(&ExecutionPolicy::default().with_skills("/srv/skills", false));
        assert!(plan.workspace.is_some(), "the guards (no FIFOs, no links out) apply to every preopen");
    }

    #[test]
    fn a_workspace_grant_carries_the_byte_entry_and_depth_caps_of_the_policy() {
        let defaults = plan(&ExecutionPolicy::default().with_workspace("/srv/ws")).workspace.unwrap();
        assert_eq!(defaults, WorkspaceRules { bytes: 256 << 20, entries: 10_000, depth: 128 });
        let limits =
            crate::ExecutionLimits { workspace_bytes: 1, workspace_files: 2, workspace_depth: 3, ..Default::default() };
        let policy = ExecutionPolicy::default().with_workspace("/srv/ws").with_limits(limits);
        assert_eq!(plan(&policy).workspace, Some(WorkspaceRules { bytes: 1, entries: 2, depth: 3 }));
    }

    #[test]
    fn a_workspace_grant_preopens_exactly_that_directory_as_workspace() {
        let policy = ExecutionPolicy::default().with_workspace("/srv/ws");
        assert_eq!(
            plan(&policy).preopens,
            [Preopen { host: PathBuf::from("/srv/ws"), guest: "/workspace", writable: true }]
        );
    }

    #[test]
    fn the_environment_is_always_empty() {
        assert!(std::env::vars().next().is_some(), "the test process has an environment");
        assert!(plan(&ExecutionPolicy::default()).env.is_empty());
    }

    #[test]
    fn arguments_are_the_program_name_and_only_the_granted_ones() {
        assert_eq!(plan(&ExecutionPolicy::default()).args, ["prog.wasm"]);
        let policy = ExecutionPolicy::default().with_args(["--x", "1"]);
        assert_eq!(plan(&policy).args, ["prog.wasm", "--x", "1"]);
    }

    #[test]
    fn the_network_is_never_granted_and_stdin_carries_only_the_run_input() {
        let plan = plan(&ExecutionPolicy::default().with_workspace("/w").with_args(["a"]));
        assert!(!plan.network);
        assert!(plan.stdin.is_empty());
        let input = ProgramInput { name: Some("main.js".to_owned()), stdin: b"log(1)".to_vec() };
        let plan = wasi_plan(&ExecutionPolicy::default(), "sluice-js.wasm", &input, || 7);
        assert_eq!(plan.stdin, b"log(1)");
        assert_eq!(plan.args, ["main.js"]);
    }

    #[test]
    fn random_is_freshly_seeded_unless_the_policy_fixes_the_seed() {
        assert_eq!(plan(&ExecutionPolicy::default()).random_seed, 7);
        let fixed = ExecutionPolicy::default().with_random_seed(42);
        let input = ProgramInput::default();
        assert_eq!(wasi_plan(&fixed, "p", &input, || unreachable!("a fixed seed needs no entropy")).random_seed, 42);
    }

    #[test]
    fn a_missing_workspace_is_an_error_naming_it() {
        let plan = plan(&ExecutionPolicy::default().with_workspace("/definitely/not/here"));
        let Err(error) = build_wasi(
            &plan,
            CappedOutput::new("stdout", 1, Default::default()),
            CappedOutput::new("stderr", 1, Default::default()),
        ) else {
            panic!("a missing workspace must be refused");
        };
        assert!(error.to_string().contains("/definitely/not/here"), "{error}");
    }
}
