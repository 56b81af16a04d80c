//! The benchmark's world: the five MCP servers both modes use, and the files
//! the scenarios read (a local git repository, a meeting transcript), made
//! afresh in one fixed private directory so every path a model sees, and so
//! every token count, is the same on every machine.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::github::Data;

/// Where the scenarios' files live. Fixed, not random: paths appear in tool
/// arguments, so a random one would change the counts from run to run. The
/// fake GitHub's port makes runs exclusive anyway.
pub const WORK_DIR: &str = "/tmp/sluice-bench-tokens";

/// The access token given to `github-mcp-server` (the fake GitHub accepts any).
pub const GITHUB_TOKEN: &str = "ghp_sluicebenchfaketoken";

/// Why the world could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// The work directory is not ours.
    #[error("{WORK_DIR} exists and is not a private directory of this user; remove it and retry")]
    NotPrivate,
    /// A file operation failed.
    #[error("cannot prepare {path}: {source}")]
    Io {
        /// What was being prepared.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A test server is not installed.
    #[error("{0} is not installed; run `bash .ci/setup` (or `make setup`) first")]
    Missing(PathBuf),
    /// `git fast-import` failed.
    #[error("cannot build the local git repository: {0}")]
    Git(String),
}

fn io(path: impl AsRef<Path>) -> impl FnOnce(std::io::Error) -> SetupError {
    let path = path.as_ref().display().to_string();
    move |source| SetupError::Io { path, source }
}

/// One MCP server both modes start the same way.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// Its name (`tools.<name>` in code mode).
    pub name: &'static str,
    /// One line a model reads about it.
    pub description: &'static str,
    /// The executable.
    pub command: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Variables set for it.
    pub env: Vec<(String, String)>,
}

/// The prepared world.
pub struct World {
    /// The work directory.
    pub dir: PathBuf,
    /// The five servers.
    pub servers: Vec<ServerSpec>,
    /// The local repository's commits, oldest first: `(subject, issue it fixes)`.
    pub local_commits: Vec<(String, Option<u64>)>,
    /// The meeting transcript (scenario `handoff`).
    pub transcript: String,
}

/// The local git repository's path (scenario `join`).
pub fn repo_dir() -> PathBuf {
    Path::new(WORK_DIR).join("repo")
}

/// The documents directory the filesystem server may read.
pub fn docs_dir() -> PathBuf {
    Path::new(WORK_DIR).join("docs")
}

/// The transcript's path.
pub fn transcript_path() -> PathBuf {
    docs_dir().join("planning-meeting-2026-10-28.txt")
}

impl World {
    /// Makes the world afresh in [`WORK_DIR`], with the servers installed in
    /// `test_servers` (`target/test-servers`).
    pub fn prepare(test_servers: &Path, data: &Data) -> Result<World, SetupError> {
        let dir = PathBuf::from(WORK_DIR);
        claim(&dir)?;
        let transcript = transcript(data);
        std::fs::create_dir(docs_dir()).map_err(io(docs_dir()))?;
        std::fs::write(transcript_path(), &transcript).map_err(io(transcript_path()))?;
        let local_commits = local_commits(data);
        build_repo(&repo_dir(), &local_commits)?;

        let venv = test_servers.join("venv/bin");
        let npm = test_servers.join("npm/node_modules/.bin");
        let binary = |path: PathBuf| if path.exists() { Ok(path) } else { Err(SetupError::Missing(path)) };
        let servers = vec![
            ServerSpec {
                name: "github",
                description: "GitHub (acme/widgets and other repositories): issues, pull requests, commits, releases.",
                command: binary(venv.join("github-mcp-server"))?,
                args: ["stdio", "--toolsets", "all", "--gh-host", "http://127.0.0.2"].map(String::from).to_vec(),
                env: vec![("GITHUB_PERSONAL_ACCESS_TOKEN".into(), GITHUB_TOKEN.into())],
            },
            ServerSpec {
                name: "git",
                description: "The local clone of acme/widgets.",
                command: binary(venv.join("mcp-server-git"))?,
                args: vec!["--repository".into(), repo_dir().display().to_string()],
                env: vec![],
            },
            ServerSpec {
                name: "files",
                description: "Meeting notes and documents (read-only).",
                command: binary(npm.join("mcp-server-filesystem"))?,
                args: vec![docs_dir().display().to_string()],
                env: vec![],
            },
            ServerSpec {
                name: "memory",
                description: "The team's knowledge graph.",
                command: binary(npm.join("mcp-server-memory"))?,
                args: vec![],
                env: vec![],
            },
            ServerSpec {
                name: "time",
                description: "The current time and time-zone conversion.",
                command: binary(venv.join("mcp-server-time"))?,
                args: vec!["--local-timezone".into(), "UTC".into()],
                env: vec![],
            },
        ];
        Ok(World { dir, servers, local_commits, transcript })
    }

    /// The servers for one mode: the memory server keeps its graph in a file of
    /// that mode's own.
    pub fn servers_for(&self, mode: &str) -> Vec<ServerSpec> {
        let memory_file = self.dir.join(format!("memory-{mode}.jsonl"));
        let mut servers = self.servers.clone();
        for server in &mut servers {
            if server.name == "memory" {
                server.env.push(("MEMORY_FILE_PATH".into(), memory_file.display().to_string()));
            }
        }
        servers
    }

    /// A Sluice configuration (`mcpServers`) of `servers`.
    pub fn sluice_config(servers: &[ServerSpec]) -> Value {
        let mut map = serde_json::Map::new();
        for server in servers {
            let env: serde_json::Map<String, Value> =
                server.env.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            map.insert(
                server.name.to_owned(),
                json!({
                    "command": server.command,
                    "args": server.args,
                    "env": env,
                    "description": server.description,
                }),
            );
        }
        json!({ "mcpServers": map })
    }
}

/// Empties `dir`, creating it private (0700) if needed; refuses one that
/// another user made or others can write, since files in it are trusted.
fn claim(dir: &Path) -> Result<(), SetupError> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) => {
            // The directory itself (not a symlink's target), this user's, closed to others.
            let uid = std::fs::metadata("/proc/self").map(|m| m.uid()).map_err(io("/proc/self"))?;
            if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
                return Err(SetupError::NotPrivate);
            }
            std::fs::remove_dir_all(dir).map_err(io(dir))?;
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(dir)(error)),
    }
    std::fs::DirBuilder::new().mode(0o700).create(dir).map_err(io(dir))
}

/// A seeded word stream: the same text on every machine.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        // SplitMix64.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const SPEAKERS: &[&str] = &["Priya", "Marcus", "Elena", "Tomás", "Aiko", "Daniel"];
const OPENERS: &[&str] = &[
    "I think",
    "So basically",
    "Right, and",
    "Honestly,",
    "From the support side,",
    "If we look at the numbers,",
    "One thing to flag:",
    "Okay, so",
    "Building on that,",
    "To be clear,",
];
const SUBJECTS: &[&str] = &[
    "the parser rewrite",
    "the Q4 roadmap",
    "our on-call rotation",
    "the flaky CI job",
    "the 1.10 release",
    "the memory regression",
    "customer onboarding",
    "the plugin API",
    "the migration to the new runner",
    "the docs backlog",
    "the triage process",
    "the dependency upgrades",
];
const PREDICATES: &[&str] = &[
    "is slipping by about two weeks",
    "needs an owner before Friday",
    "is mostly done but blocked on review",
    "should be split into smaller pieces",
    "keeps coming up in support tickets",
    "is the riskiest item we have",
    "could ship behind a flag",
    "needs a design doc first",
    "is cheaper than we estimated",
    "depends on the security review",
    "has three open bugs against it",
    "is where most of the churn is",
];
const CLOSERS: &[&str] = &[
    "so let's decide today.",
    "and I can take that.",
    "which I'd rather not repeat.",
    "if nobody objects.",
    "and we should write it down.",
    "but I'm not sure it's urgent.",
    "so that's my proposal.",
    "right?",
];

/// A two-hour meeting transcript: about 150 spoken words a minute.
fn transcript(data: &Data) -> String {
    let mut words = Words(0x5EED_0007);
    let mut text = String::from("Planning meeting, 2026-10-28, 14:00-16:00 UTC\nAttendees: ");
    text.push_str(&SPEAKERS.join(", "));
    text.push_str("\n\n");
    let mut second = 0u64;
    while second < 2 * 3600 {
        let speaker = words.pick(SPEAKERS);
        let mut turn = String::new();
        for sentence in 0..1 + words.next() % 4 {
            if sentence > 0 {
                turn.push(' ');
            }
            let subject = if words.next().is_multiple_of(5) {
                let issue = &data.issues[(words.next() % data.issues.len() as u64) as usize];
                format!("issue #{} ({})", issue.number, issue.title)
            } else {
                words.pick(SUBJECTS).to_owned()
            };
            let _ =
                write!(turn, "{} {} {} {}", words.pick(OPENERS), subject, words.pick(PREDICATES), words.pick(CLOSERS));
        }
        let _ = writeln!(text, "[{:02}:{:02}:{:02}] {speaker}: {turn}", second / 3600, second / 60 % 60, second % 60);
        second += 2 + turn.split(' ').count() as u64 * 60 / 150;
    }
    text
}

const CHORES: &[&str] = &[
    "Refactor the config loader",
    "Update dependencies",
    "Tidy up error messages",
    "Speed up the test suite",
    "Document the plugin API",
    "Rename internal helpers",
    "Add benchmarks for the parser",
    "Clean up CI scripts",
    "Improve logging around retries",
    "Simplify the release script",
];

/// The local clone's history: 200 commits, about one in six fixing an issue.
fn local_commits(data: &Data) -> Vec<(String, Option<u64>)> {
    let mut words = Words(0x5EED_0005);
    (0..200)
        .map(|_| {
            if words.next().is_multiple_of(6) {
                let issue = &data.issues[(words.next() % data.issues.len() as u64) as usize];
                let title = issue.title.trim_end_matches('.');
                (format!("Fix {} (fixes #{})", lowercase_first(title), issue.number), Some(issue.number))
            } else {
                (words.pick(CHORES).to_owned(), None)
            }
        })
        .collect()
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// A repository with `commits`, fixed authors and dates (so fixed hashes),
/// written in one `git fast-import`.
fn build_repo(dir: &Path, commits: &[(String, Option<u64>)]) -> Result<(), SetupError> {
    let git = |args: &[&str]| -> Result<std::process::Child, SetupError> {
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| SetupError::Git(format!("cannot run git: {error}")))
    };
    std::fs::create_dir(dir).map_err(io(dir))?;
    let finish = |child: std::process::Child| -> Result<(), SetupError> {
        let output = child.wait_with_output().map_err(|error| SetupError::Git(error.to_string()))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(SetupError::Git(String::from_utf8_lossy(&output.stderr).into_owned()))
        }
    };
    finish(git(&["init", "--quiet", "--initial-branch", "main"])?)?;

    let mut stream = Vec::new();
    let start = 1_788_000_000u64; // 2026-08-29
    for (index, (subject, _)) in commits.iter().enumerate() {
        let when = start + index as u64 * 4 * 3600;
        let author = SPEAKERS[index % SPEAKERS.len()];
        let email = format!("{}@acme.example", author.to_lowercase().replace('á', "a"));
        let message = format!("{subject}\n");
        let content = format!("{index}: {subject}\n");
        let _ = write!(
            stream,
            "commit refs/heads/main\nmark :{mark}\nauthor {author} <{email}> {when} +0000\n\
             committer {author} <{email}> {when} +0000\ndata {len}\n{message}",
            mark = index + 1,
            len = message.len(),
        );
        if index > 0 {
            let _ = writeln!(stream, "from :{index}");
        }
        let _ = write!(stream, "M 644 inline CHANGES.txt\ndata {}\n{content}\n", content.len());
    }
    let mut child = git(&["fast-import", "--quiet"])?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(&stream)
        .map_err(|error| SetupError::Git(error.to_string()))?;
    finish(child)?;
    finish(git(&["checkout", "--quiet", "main"])?)?;
    finish(git(&["reset", "--quiet", "--hard"])?)
}
