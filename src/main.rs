//! The `sluice` command: parses arguments, runs a program through the library, maps the outcome to an exit code.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sluice::bindings;
use sluice::config::SluiceConfig;
use sluice::mcp::{Elicitation, McpOptions, McpTools, TerminalAsker};
use sluice::terminal::{escape_controls, escape_controls_keep_lines, escape_output};
use sluice::tools::tree;
use sluice::trust::{self, WorkspaceTrust};
use sluice::{
    ExecutionPolicy, Language, Launcher, LimitRequest, RunControl, RunOutcome, RunStatus, Runtime, RuntimeConfig,
    SkillsGrant, Source, ToolHost, WorkspaceChoice, units,
};

/// jemalloc keeps a large tool result's freed buffers for the next run instead of
/// returning them to the kernel (Cargo.toml's `jemalloc` feature says why).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn parse_elicitation(name: &str) -> Result<Elicitation, String> {
    Elicitation::from_name(name)
        .ok_or_else(|| format!("{name:?} is not an answer policy: use decline or accept-defaults"))
}

fn parse_language(name: &str) -> Result<Language, String> {
    Language::from_name(name).ok_or_else(|| format!("{name:?} is not a language Sluice runs: use js, ts or wasm"))
}

/// The program `args` names: a file, or stdin for `-`.
fn read_program(args: &RunArgs) -> anyhow::Result<Source> {
    if args.program.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read the program from stdin")?;
        let language = args.lang.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]);
            let text = text.trim_start();
            if bytes.starts_with(b"\0asm") || ["(module", ";;", "(;"].iter().any(|start| text.starts_with(start)) {
                Language::WebAssembly
            } else {
                Language::JavaScript
            }
        });
        return Ok(Source::read_from(&bytes[..], language)?);
    }
    Ok(match args.lang {
        Some(language) => Source::read_as(&args.program, language)?,
        None => Source::read(&args.program)?,
    })
}

/// Exit codes of `sluice run` (documented in the README).
mod exit {
    pub const PROGRAM_FAILED: u8 = 1;
    pub const USAGE_OR_CONFIG: u8 = 2;
    pub const LIMIT: u8 = 3;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "sluice",
    version,
    about = "Run untrusted programs that call MCP tools, in a deny-by-default sandbox."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a program: JavaScript (`.js`, `.mjs`), TypeScript (`.ts`, `.mts`), or a
    /// wasm32-wasip1 command module (`.wasm`, or its text form `.wat`). `-` reads
    /// the program from stdin.
    ///
    /// The program's stdout and stderr are printed, then a summary line on stderr.
    /// Exit status: 0 success; 1 the program failed (trap, non-zero exit);
    /// 2 usage, configuration or invalid-module error; 3 a limit stopped it.
    Run(RunArgs),
    /// Browse the configured servers' tools as TypeScript declaration files:
    /// `servers/` lists the servers (starting none), `servers/NAME/` a server's
    /// files, `servers/NAME/index.d.ts` its whole API, `servers/NAME/TOOL.d.ts` one
    /// tool. Short forms work too: `NAME`, `NAME/TOOL`, with names or aliases.
    Tools(ToolsArgs),
    /// Write typed guest bindings for one server's tools: a TypeScript module of
    /// wrappers, or a Rust module for the guest SDK (`sluice-guest`).
    Bindings(BindingsArgs),
    /// Be an MCP server: clients see three tools (execute, search_tools,
    /// describe_tool) instead of every upstream definition. stdio by default;
    /// `--http` for Streamable HTTP. Long programs can run as tasks.
    Serve(ServeArgs),
    /// Sign in to a remote server that uses OAuth, once: opens the authorization
    /// URL in `$BROWSER` (else the desktop's opener), always printing it too,
    /// and waits for the redirect on a loopback port. The token is kept in a
    /// private file of Sluice's (`$SLUICE_CREDENTIALS_DIR`, default
    /// ~/.config/sluice/credentials) and refreshed by runs; programs never see it.
    Login(LoginArgs),
    /// Forget a remote server's stored sign-in (the token is not revoked at the server).
    Logout(LogoutArgs),
}

#[derive(clap::Args)]
struct LogoutArgs {
    /// The server's name in the configuration.
    server: String,
    /// MCP servers, as for `sluice run`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct LoginArgs {
    /// The server's name in the configuration.
    server: String,
    /// MCP servers, as for `sluice run`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How long to wait for the browser to come back.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = units::parse_duration)]
    timeout: std::time::Duration,
    /// Only print the URL; start no browser.
    #[arg(long)]
    no_browser: bool,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// MCP servers programs may call, as for `sluice run`. None are started
    /// until a program, search or description needs them.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Serve on stdin and stdout (the default).
    #[arg(long, conflicts_with = "http")]
    stdio: bool,
    /// Serve Streamable HTTP on ADDR (default 127.0.0.1:8931), endpoint /mcp.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:8931")]
    http: Option<std::net::SocketAddr>,
    /// Every request's limits, and the most a request may ask for.
    #[command(flatten)]
    limits: LimitArgs,
    /// A browser origin allowed to call (scheme://host[:port], port `*` for any);
    /// other origins get 403. Repeat for more.
    #[arg(long, value_name = "ORIGIN")]
    allowed_origin: Vec<String>,
    /// A host name clients may address besides loopback (DNS-rebinding guard). Repeat for more.
    #[arg(long, value_name = "HOST")]
    allowed_host: Vec<String>,
    /// Require `Authorization: Bearer <token>`, the token read from this environment
    /// variable. Repeat for more clients: each token's tasks, run slots and
    /// (with --workspace-per-token) workspace are its own.
    #[arg(long, value_name = "NAME")]
    auth_token_env: Vec<String>,
    /// Give every program this directory as /workspace (saved helpers persist).
    /// Default: a fresh scratch directory per program.
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// With --workspace: a subdirectory per auth token, so clients never see each other's files.
    #[arg(long, requires = "workspace")]
    workspace_per_token: bool,
    /// Let servers run code from inside --workspace, and read a configuration there.
    #[arg(long, requires = "workspace")]
    allow_workspace_code: bool,
    /// Saved helpers for every program, as for `sluice run`.
    #[command(flatten)]
    skills: SkillsArgs,
    /// With the 2026-07-28 tasks extension, an execute still running after this becomes a task.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = units::parse_duration)]
    task_after: Duration,
    /// Programs one client (token) may run at once; past it a request is refused at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    max_runs_per_client: usize,
    /// Programs all clients together may run at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_runs: usize,
    /// A program waiting this long on a tool or timer has its memory set aside
    /// until the wait ends (a JavaScript program's ~1.1 MiB of RSS down to
    /// ~70 KB; ~0.5 ms of CPU to set aside and wake); `off` never does.
    // Spelled out as `std::option::Option`: the value is optional (`off`), not
    // the flag, which is what clap's derive would make of a bare `Option`.
    #[arg(long, value_name = "DURATION|off", default_value = "500ms", value_parser = units::parse_duration_or_off)]
    hibernate_after: std::option::Option<Duration>,
    /// On SIGTERM or Ctrl-C, how long running programs may finish before they are cancelled.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = units::parse_duration)]
    grace: Duration,
    /// Where task state lives: `memory` (this process only), or
    /// `redis://[user:password@]HOST:PORT/DB` to share tasks between every
    /// instance on that Redis (any instance answers for any task).
    #[arg(long, value_name = "URL", default_value = "memory")]
    state: String,
    /// Read the --state URL from this environment variable instead (keeps a
    /// Redis password out of the process list).
    #[arg(long, value_name = "NAME", conflicts_with = "state")]
    state_env: Option<String>,
    /// With a Redis --state: the prefix of every key and channel; instances that share tasks share it.
    #[arg(long, value_name = "PREFIX", default_value = "sluice:")]
    state_prefix: String,
    /// With a Redis --state: how long a running task's claim lasts unless its
    /// instance renews it. Tasks of an instance that died end failed within
    /// about twice this.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = units::parse_duration)]
    task_lease: Duration,
    /// The largest task result kept; a larger one ends the task failed, saying so.
    #[arg(long, value_name = "SIZE", default_value = "4MiB", value_parser = units::parse_size)]
    max_task_result: u64,
}

#[derive(clap::Args)]
struct BindingsArgs {
    /// The server, by its name in the configuration.
    #[arg(long, value_name = "NAME")]
    server: String,
    /// `ts` or `rust`.
    #[arg(long, value_name = "LANG")]
    lang: bindings::Language,
    /// The directory to write into (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// MCP servers, as for `sluice run`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ToolsArgs {
    /// What to show: `servers/` (the servers), `<server>` (its tools),
    /// `<server>/<tool>` (one tool's declaration), `<server>/index.d.ts` (all of
    /// them). Names may be aliases; `servers/` and `.d.ts` may be left out.
    #[arg(default_value = "servers/")]
    path: String,
    /// MCP servers, as for `sluice run`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// How servers' requests for input are answered, for `sluice run` and `sluice serve`.
#[derive(clap::Args)]
struct AnswerArgs {
    /// How to answer a server that asks for input during a call when no one is
    /// asked: `decline` (the default), or `accept-defaults` (the defaults its
    /// form gives; a form with a required field lacking one is declined). The
    /// program sees only the tool's result. Without this flag, `run` asks you on
    /// the terminal (when stdin and stderr are one) and `serve --stdio` asks its
    /// client (when it takes elicitations) first.
    #[arg(long, value_name = "POLICY", value_parser = parse_elicitation)]
    elicitation: Option<Elicitation>,
}

/// The `/skills` grant, for `sluice run` and `sluice serve`.
#[derive(clap::Args)]
struct SkillsArgs {
    /// A directory of saved helpers, mounted read-only at /skills: programs import
    /// them (`import { x } from '/skills/x.js'`) and list them with sluice.skills().
    #[arg(long, value_name = "DIR")]
    skills: Option<PathBuf>,
    /// Let programs write to --skills (save new helpers for later runs).
    #[arg(long, requires = "skills")]
    skills_writable: bool,
}

impl SkillsArgs {
    fn grant(&self) -> Option<SkillsGrant> {
        self.skills.as_ref().map(|dir| SkillsGrant::new(dir, self.skills_writable))
    }
}

/// Limits of a run; for `sluice serve`, every request's defaults and ceilings.
#[derive(clap::Args)]
struct LimitArgs {
    /// Wall-clock deadline, including time waiting for tools.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = units::parse_duration)]
    timeout: Duration,
    /// Cap on the program's linear memory.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = units::parse_size)]
    memory: u64,
    /// Cap on stdout, and separately on stderr; past it output is dropped.
    #[arg(long, value_name = "SIZE", default_value = "1MiB", value_parser = units::parse_size)]
    max_output: u64,
    /// Cap on tool calls in one run.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    max_tool_calls: u64,
    /// Fuel (about one unit per WebAssembly instruction); off unless given.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Cap on bytes the program writes to /workspace (overwrites count; deleting
    /// gives nothing back); past it, writes fail with "no space left".
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = units::parse_size)]
    max_workspace: u64,
    /// Cap on files, directories and links the program creates in /workspace.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    max_workspace_files: u64,
}

impl LimitArgs {
    fn request(&self) -> LimitRequest {
        let mut request = LimitRequest::default();
        request.deadline = Some(self.timeout);
        request.memory_bytes = Some(self.memory);
        request.output_bytes = Some(self.max_output);
        request.tool_calls = Some(self.max_tool_calls);
        request.fuel = self.fuel;
        request.workspace_bytes = Some(self.max_workspace);
        request.workspace_files = Some(self.max_workspace_files);
        request
    }
}

#[derive(clap::Args)]
struct RunArgs {
    /// The program to run, or `-` to read it from stdin.
    program: PathBuf,
    /// The program's language: js, ts or wasm. Default: by the file's extension;
    /// for `-`, wasm if the input starts like a module (`\0asm`, or text starting
    /// `(module` or a `;;` comment), else js.
    #[arg(long, value_name = "LANG", value_parser = parse_language)]
    lang: Option<Language>,
    /// MCP servers (`{"mcpServers": {...}}`, as Claude Desktop, Cursor and VS Code
    /// write it). Default: the first that exists of ./sluice.json, ./.mcp.json,
    /// ~/.config/sluice/config.json; none means no servers.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
    /// Directory the program sees as /workspace, read-write. Default: a fresh
    /// empty directory, deleted after the run.
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Let servers run code from inside --workspace, and read a configuration
    /// there. Refused by default: the program could have written it.
    #[arg(long, requires = "workspace")]
    allow_workspace_code: bool,
    #[command(flatten)]
    skills: SkillsArgs,
    /// Seed for the program's random numbers (default: fresh each run).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    #[command(flatten)]
    answers: AnswerArgs,
    /// Print one JSON object with status, output and stats instead of the output.
    #[arg(long)]
    json: bool,
    /// Arguments passed to the program after its name.
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    // rmcp's OAuth module logs authorization codes and whole token responses (an
    // `id_token`, vendor fields) at debug: never below info, whatever SLUICE_LOG asks.
    let filter = std::env::var("SLUICE_LOG").unwrap_or_else(|_| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{filter},rmcp::transport::auth=info"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,rmcp::transport::auth=info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person at a terminal: no escape codes in a log file or a pipe.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Processes a server leaves behind become Sluice's to end, not init's (Linux).
    if let Err(error) = sluice::mcp::become_subreaper() {
        tracing::warn!("cannot adopt processes MCP servers leave behind: {error}");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sluice: error: {}", escape_controls_keep_lines(&format!("{error:#}")));
            ExitCode::from(exit::USAGE_OR_CONFIG)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_program(args),
        Command::Tools(args) => browse_tools(args),
        Command::Bindings(args) => write_bindings(args),
        Command::Serve(args) => serve(args),
        Command::Login(args) => login(args),
        Command::Logout(args) => logout(args),
    }
}

/// The configured server `name`, or an error naming the closest.
fn configured_server(
    config: &sluice::config::SluiceConfig,
    name: &str,
) -> anyhow::Result<sluice::config::ServerConfig> {
    match config.servers.get(name) {
        Some(server) => Ok(server.clone()),
        None => {
            let hint = sluice::suggest::did_you_mean(name, config.servers.keys().map(String::as_str));
            anyhow::bail!("the configuration has no server named {name:?}{hint}")
        }
    }
}

fn credentials_dir() -> anyhow::Result<PathBuf> {
    sluice::mcp::default_credentials_dir().context("no directory for credentials: set SLUICE_CREDENTIALS_DIR or HOME")
}

fn logout(args: LogoutArgs) -> anyhow::Result<ExitCode> {
    let server = configured_server(&load_config(args.config.as_deref(), None)?, &args.server)?;
    if sluice::mcp::logout(&args.server, &server, &credentials_dir()?)? {
        eprintln!("sluice: signed out of {} (its token is forgotten, not revoked)", args.server);
    } else {
        eprintln!("sluice: {} had no stored sign-in", args.server);
    }
    Ok(ExitCode::SUCCESS)
}

fn login(args: LoginArgs) -> anyhow::Result<ExitCode> {
    let server = configured_server(&load_config(args.config.as_deref(), None)?, &args.server)?;
    let mut options = sluice::mcp::LoginOptions::new(credentials_dir()?);
    options.timeout = args.timeout;
    if args.no_browser {
        options.browser = None;
    }
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let stored = tokio
        .block_on(sluice::mcp::login(&args.server, &server, &options, |text| eprintln!("sluice: {text}")))
        .with_context(|| format!("cannot sign in to {:?}", args.server))?;
    eprintln!(
        "sluice: signed in to {}; the token is in {}",
        args.server,
        escape_controls(&stored.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

fn write_bindings(args: BindingsArgs) -> anyhow::Result<ExitCode> {
    let (summary, definitions) = with_servers(args.config.as_deref(), async |servers| {
        let summary = servers.servers().into_iter().find(|s| s.name == args.server).map(|s| s.summary);
        let Some(summary) = summary else {
            anyhow::bail!("the configuration has no server named {:?}", args.server);
        };
        let definitions = servers.list_tools(&args.server).await;
        Ok((summary, definitions.with_context(|| format!("cannot list the tools of {:?}", args.server))?))
    })?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    for file in bindings::generate(&args.server, &summary, &definitions, args.lang) {
        let path = args.out.join(&file.path);
        std::fs::write(&path, file.contents).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("sluice: wrote {} ({} tools)", path.display(), definitions.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn browse_tools(args: ToolsArgs) -> anyhow::Result<ExitCode> {
    let is_file = tree::is_file(&args.path);
    let text = with_servers(args.config.as_deref(), async |servers| {
        let text = if is_file {
            tree::read(servers, &args.path).await
        } else {
            tree::list(servers, &args.path).await.map(|entries| {
                let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
                entries.iter().map(|entry| format!("{:width$}  {}\n", entry.name, entry.about)).collect()
            })
        };
        Ok(text?)
    })?;
    // Names and descriptions come from servers: nothing of theirs drives the terminal.
    std::io::stdout().lock().write_all(escape_controls_keep_lines(&text).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` on the configured servers, then stops them, whatever it returned.
fn with_servers<T>(
    config: Option<&std::path::Path>,
    work: impl AsyncFnOnce(&McpTools) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut options = McpOptions::default();
    options.credentials_dir = sluice::mcp::default_credentials_dir();
    let servers = McpTools::new(&load_config(config, None)?, options);
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let result = tokio.block_on(work(&servers));
    tokio.block_on(servers.shutdown());
    result
}

fn run_program(args: RunArgs) -> anyhow::Result<ExitCode> {
    let mut config = RuntimeConfig::default();
    config.cache_dir = RuntimeConfig::default_cache_dir();
    // The cache holds native code and its sealing key: a program must not reach it.
    if let (Some(workspace), Some(cache)) = (&args.workspace, &config.cache_dir)
        && trust::overlaps(workspace, cache)
    {
        eprintln!(
            "sluice: warning: not caching compiled code in {}: it overlaps the workspace {}",
            escape_controls(&cache.display().to_string()),
            escape_controls(&workspace.display().to_string())
        );
        config.cache_dir = None;
    }
    refuse_in_cache("--skills", args.skills.skills.as_deref(), &config)?;
    config.fuel_metering = args.limits.fuel.is_some();
    // One program at a time (the interpreter's first pre-initialisation, then the
    // program): a pool of one slot, not a server's thousand, whose stacks' guard
    // pages alone took several milliseconds of a cold start to map and unmap.
    config.max_concurrent_runs = 1;
    let tool_list_cache = config.cache_dir.clone();
    let launcher = Launcher::new(Runtime::new(config).context("cannot start the sandbox")?);
    // One program, on this thread: its tool calls, the servers' transports and
    // its run interleave at their awaits (a busy run yields at every epoch tick),
    // as they would on one worker of a server's runtime. Workers of their own
    // cost a cold start ~1 ms (threads to start, and every later `mprotect` and
    // `munmap` interrupting them to flush their TLBs).
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;

    let workspace = match &args.workspace {
        Some(dir) => WorkspaceChoice::Directory(dir.clone()),
        None => WorkspaceChoice::Scratch,
    };
    let mut policy = ExecutionPolicy::default().with_args(args.args.clone());
    policy.skills = args.skills.grant();
    if let Some(seed) = args.seed {
        policy = policy.with_random_seed(seed);
    }
    policy.limits = args.limits.request().applied_to(policy.limits);

    let cannot_run = || format!("cannot run {}", args.program.display());
    let source = read_program(&args).with_context(cannot_run)?;
    let mut options = McpOptions::for_result_cap(policy.limits.result_bytes);
    options.tool_list_cache = tool_list_cache;
    options.credentials_dir = sluice::mcp::default_credentials_dir();
    options.elicitation = args.answers.elicitation.unwrap_or_default();
    // Without a policy named, a server's question goes to the person at the
    // terminal (unless stdin held the program).
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal() && args.program.as_os_str() != "-";
    options.ask_runs = args.answers.elicitation.is_none() && terminal;
    // A workspace the user named may hold files the program writes: neither the
    // configuration nor a server may come from there (src/trust.rs).
    let granted = granted_workspace(args.workspace.as_deref(), args.allow_workspace_code);
    let config = load_config(args.config.as_deref(), granted)?;
    check_writable_skills(args.config.as_deref(), &config, &args.skills, args.allow_workspace_code)?;
    let ask_terminal = options.ask_runs;
    let servers = Arc::new(McpTools::new(&config, options));
    let mut control = RunControl::new();
    if ask_terminal {
        control = control.with_asker(Arc::new(TerminalAsker::stdio()));
    }
    let launched = tokio.block_on(async {
        let run = launcher.run(&source, policy, &workspace, servers.clone(), &control);
        tokio::select! {
            launched = run => Some(launched),
            () = interrupted() => None,
        }
    });
    // Servers are stopped before exiting, whatever happened: none outlives Sluice.
    tokio.block_on(servers.shutdown());
    // Blocking file work a program started must not keep the process alive past its run.
    tokio.shutdown_timeout(Duration::from_secs(1));
    let Some(launched) = launched else {
        eprintln!("sluice: interrupted");
        return Ok(ExitCode::from(exit::INTERRUPTED));
    };
    let launched = launched.with_context(cannot_run)?;
    // A program shapes what it leaves; a scratch workspace that cannot be removed is said, not left silently.
    if let Some(error) = launched.cleanup {
        eprintln!("sluice: warning: {}", escape_controls(&sluice::chain(&error)));
    }
    report(&launched.outcome, args.json)?;
    // The process ends next, and the kernel takes back the sandbox's mappings
    // faster than dropping them does (~0.5 ms of a cold run). Nothing of the
    // runtime's is left to finish: the run has ended, its servers are stopped and
    // the blocking work it started was waited for above.
    std::mem::forget(launcher);
    Ok(exit_code(&launched.outcome))
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use sluice::serve::tasks::{MemoryTaskStore, RedisConfig, RedisTaskStore, SharedTaskStore};
    use sluice::serve::{self, ServeConfig, Sluice, WorkspaceMode, http::HttpConfig};

    let mut auth_tokens = Vec::new();
    for name in &args.auth_token_env {
        match std::env::var(name) {
            Ok(token) if !token.trim().is_empty() => auth_tokens.push(token),
            _ => anyhow::bail!("--auth-token-env {name}: the variable is not set, or empty"),
        }
    }
    if args.http.is_none() && !auth_tokens.is_empty() {
        anyhow::bail!("--auth-token-env is for --http; a stdio server has one client, the process that started it");
    }
    let mut config = RuntimeConfig::default();
    config.cache_dir = RuntimeConfig::default_cache_dir();
    refuse_in_cache("--workspace", args.workspace.as_deref(), &config)?;
    refuse_in_cache("--skills", args.skills.skills.as_deref(), &config)?;
    if args.skills.skills_writable && args.workspace_per_token {
        anyhow::bail!(
            "--skills-writable with --workspace-per-token: one client could change the helpers another imports; \
             drop one of them"
        );
    }
    config.fuel_metering = args.limits.fuel.is_some();
    config.max_concurrent_runs = u32::try_from(args.max_runs).unwrap_or(u32::MAX).max(1);
    config.hibernate_after = args.hibernate_after;
    let tool_list_cache = config.cache_dir.clone();
    let launcher = Arc::new(Launcher::new(Runtime::new(config).context("cannot start the sandbox")?));

    let mut serve_config = ServeConfig::default();
    serve_config.limits = args.limits.request().applied_to(serve_config.limits);
    serve_config.workspace = match (&args.workspace, args.workspace_per_token) {
        (None, _) => WorkspaceMode::Scratch,
        (Some(dir), false) => WorkspaceMode::Shared(dir.clone()),
        (Some(dir), true) => WorkspaceMode::PerClient(dir.clone()),
    };
    serve_config.skills = args.skills.grant();
    serve_config.task_after = args.task_after;
    serve_config.max_runs_per_client = args.max_runs_per_client.max(1);
    serve_config.max_runs = args.max_runs.max(1);
    serve_config.max_task_result = usize::try_from(args.max_task_result).unwrap_or(usize::MAX);

    let granted = granted_workspace(args.workspace.as_deref(), args.allow_workspace_code);
    let mut options = McpOptions::for_result_cap(serve_config.limits.result_bytes);
    options.tool_list_cache = tool_list_cache;
    options.credentials_dir = sluice::mcp::default_credentials_dir();
    options.elicitation = args.answers.elicitation.unwrap_or_default();
    // Over stdio, a server's question goes to the client that submitted the program,
    // if it takes elicitations (stateless HTTP has no way back to the client).
    options.ask_runs = args.answers.elicitation.is_none() && args.http.is_none();
    let mut upstream = load_config(args.config.as_deref(), granted)?;
    check_writable_skills(args.config.as_deref(), &upstream, &args.skills, args.allow_workspace_code)?;
    let already_said = upstream.warnings.len();
    upstream.drop_sluice_servers();
    for warning in &upstream.warnings[already_said..] {
        eprintln!("sluice: warning: {}", escape_controls(warning));
    }
    let servers = Arc::new(McpTools::new(&upstream, options));
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let state = match &args.state_env {
        Some(name) => match std::env::var(name) {
            Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => anyhow::bail!("--state-env {name}: the variable is not set, or empty"),
        },
        None => args.state.clone(),
    };
    let store: SharedTaskStore = if state == "memory" {
        Arc::new(MemoryTaskStore::new(serve_config.max_tasks_per_client))
    } else if state.starts_with("redis://") || state.starts_with("redis+unix://") {
        if args.http.is_none() {
            anyhow::bail!(
                "--state {}: shared task state is for --http; a stdio server has one client",
                redacted_url(&state)
            );
        }
        if args.task_lease < Duration::from_secs(1) {
            anyhow::bail!("--task-lease must be at least 1s");
        }
        let mut redis = RedisConfig::new(&state);
        redis.prefix = args.state_prefix.clone();
        redis.max_per_owner = serve_config.max_tasks_per_client;
        redis.lease = args.task_lease;
        let _entered = tokio.enter();
        Arc::new(RedisTaskStore::new(redis).with_context(|| format!("--state {}", redacted_url(&state)))?)
    } else {
        anyhow::bail!(
            "--state {}: expected `memory`, `redis://HOST:PORT/DB` or `redis+unix:///PATH` (TLS, `rediss://`, is not built in)",
            redacted_url(&state)
        );
    };
    let result = tokio.block_on(async {
        let sluice = Arc::new(Sluice::new(launcher.clone(), servers.clone(), store, serve_config));
        // Prepare the interpreter now, so the first program does not wait (and /readyz turns green).
        let warm = launcher.clone();
        tokio::spawn(async move {
            if let Err(error) = warm.javascript().await {
                tracing::error!("cannot prepare the JavaScript sandbox: {error}");
            }
        });
        // Expired tasks are dropped even when nobody asks about them, and
        // (with shared state) tasks of a lost instance are failed: a task is
        // failed on the second sweep that finds its lease missing.
        let sweeper = sluice.store().clone();
        let every = (args.task_lease / 2).clamp(Duration::from_secs(1), Duration::from_secs(5));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(error) = sweeper.expire().await {
                    tracing::warn!("cannot sweep tasks: {error}");
                }
            }
        });
        match args.http {
            Some(addr) => {
                let mut http = HttpConfig::default();
                http.addr = addr;
                http.allowed_origins = args.allowed_origin;
                http.allowed_hosts = args.allowed_host;
                http.auth_tokens = auth_tokens;
                http.grace = args.grace;
                serve::http::serve(sluice, http, interrupted(), |bound| {
                    eprintln!("sluice: serving MCP on http://{bound}{}", serve::http::ENDPOINT);
                })
                .await
                .context("cannot serve HTTP")
            }
            None => {
                let stdio = serve::stdio::serve(sluice.clone(), tokio::io::stdin(), tokio::io::stdout());
                tokio::select! {
                    served = stdio => served.context("cannot serve stdio"),
                    () = interrupted() => {
                        sluice.cancel_all();
                        Ok(())
                    }
                }
            }
        }
    });
    // Upstream servers are stopped whatever happened: none outlives Sluice.
    tokio.block_on(servers.shutdown());
    tokio.shutdown_timeout(Duration::from_secs(1));
    result.map(|()| ExitCode::SUCCESS)
}

/// `url` with any password replaced by `***`, for messages.
fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A directory granted to programs (`flag`'s) that overlaps the compiled-code
/// cache is refused: a program could read its sealing key there, or plant code.
fn refuse_in_cache(flag: &str, dir: Option<&std::path::Path>, config: &RuntimeConfig) -> anyhow::Result<()> {
    if let (Some(dir), Some(cache)) = (dir, &config.cache_dir)
        && trust::overlaps(dir, cache)
    {
        anyhow::bail!(
            "{flag} {} overlaps the compiled-code cache {}; a program could plant code there",
            dir.display(),
            cache.display()
        );
    }
    Ok(())
}

/// A writable skills directory is one more place a program writes: neither the
/// configuration nor a server may come from there (src/trust.rs), unless allowed.
fn check_writable_skills(
    path: Option<&std::path::Path>,
    config: &SluiceConfig,
    skills: &SkillsArgs,
    allow_code: bool,
) -> anyhow::Result<()> {
    if let Some(dir) = skills.skills.as_deref().filter(|_| skills.skills_writable) {
        let trust = if allow_code { WorkspaceTrust::Allowed } else { WorkspaceTrust::Refused };
        trust::check(path, config, dir, trust)?;
    }
    Ok(())
}

/// The workspace a user named, with whether servers may run code from it
/// (`--allow-workspace-code`), for [`load_config`].
fn granted_workspace(
    workspace: Option<&std::path::Path>,
    allow_code: bool,
) -> Option<(&std::path::Path, WorkspaceTrust)> {
    let trust = if allow_code { WorkspaceTrust::Allowed } else { WorkspaceTrust::Refused };
    workspace.map(|dir| (dir, trust))
}

/// The configuration in `path`, else the first default that exists (and is not
/// where the program's workspace is), else none. With a `workspace`, servers
/// that would run code from inside it are refused unless trusted. Warnings
/// (unknown keys, skipped defaults) go to stderr.
fn load_config(
    path: Option<&std::path::Path>,
    workspace: Option<(&std::path::Path, WorkspaceTrust)>,
) -> anyhow::Result<SluiceConfig> {
    let path = match path {
        Some(path) => Some(path.to_owned()),
        None => {
            let unless_workspace = workspace.filter(|(_, trust)| *trust == WorkspaceTrust::Refused);
            let (found, warnings) =
                trust::default_config(&sluice::config::default_paths(), unless_workspace.map(|(dir, _)| dir));
            for warning in warnings {
                eprintln!("sluice: warning: {}", escape_controls(&warning));
            }
            found
        }
    };
    let config = match &path {
        Some(path) => SluiceConfig::load(path)?,
        None => SluiceConfig::empty(),
    };
    for warning in &config.warnings {
        eprintln!("sluice: warning: {}", escape_controls(warning));
    }
    if let Some((dir, trust)) = workspace {
        trust::check(path.as_deref(), &config, dir, trust)?;
    }
    Ok(config)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn report(outcome: &RunOutcome, json: bool) -> anyhow::Result<()> {
    if json {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer(&mut stdout, outcome)?;
        writeln!(stdout)?;
        return Ok(());
    }
    // The program's output is its own: passed through as it is to a pipe or a
    // file, with control characters escaped on a terminal (it must not drive it).
    write_program_output(&mut std::io::stdout().lock(), &outcome.stdout)?;
    std::io::stdout().flush()?;
    let mut stderr = std::io::stderr().lock();
    write_program_output(&mut stderr, &outcome.stderr)?;
    // Sluice's own lines: each log record one line, and an error's lines indented,
    // so nothing the program wrote can pass for a line of Sluice's.
    for record in &outcome.logs {
        writeln!(stderr, "[{}] {}", record.level, escape_controls(&record.message))?;
    }
    if let Some(message) = outcome.error_message() {
        let message = escape_controls_keep_lines(message);
        writeln!(stderr, "sluice: {}", message.replace('\n', "\n  "))?;
    }
    writeln!(stderr, "{}", escape_controls(&outcome.summary()))?;
    Ok(())
}

fn write_program_output(out: &mut (impl Write + std::io::IsTerminal), bytes: &[u8]) -> std::io::Result<()> {
    if out.is_terminal() { out.write_all(escape_output(bytes).as_bytes()) } else { out.write_all(bytes) }
}

fn exit_code(outcome: &RunOutcome) -> ExitCode {
    match outcome.status {
        RunStatus::Ok => ExitCode::SUCCESS,
        RunStatus::Limit { .. } => ExitCode::from(exit::LIMIT),
        _ => ExitCode::from(exit::PROGRAM_FAILED),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}
