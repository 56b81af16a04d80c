//! The `sluice` command: parses arguments, runs a program through the library, maps the outcome to an exit code.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use sluice::bindings;
use sluice::config::SluiceConfig;
use sluice::mcp::{McpOptions, McpTools};
use sluice::terminal::{escape_controls, escape_controls_keep_lines, escape_output};
use sluice::tools::tree;
use sluice::trust::{self, WorkspaceTrust};
use sluice::{
    ExecutionPolicy, Launcher, LimitRequest, RunControl, RunOutcome, RunStatus, Runtime, RuntimeConfig, Source,
    ToolHost, WorkspaceChoice, units,
};

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
    /// wasm32-wasip1 command module (or its text form).
    ///
    /// The program's stdout and stderr are printed, then a summary line on stderr.
    /// Exit status: 0 success; 1 the program failed (trap, non-zero exit);
    /// 2 usage, configuration or invalid-module error; 3 a limit stopped it.
    Run(RunArgs),
    /// Browse the configured servers' tools as TypeScript declaration files:
    /// `servers/` lists the servers (starting none), `servers/NAME/` a server's
    /// files, `servers/NAME/index.d.ts` its whole API, `servers/NAME/TOOL.d.ts` one tool.
    Tools(ToolsArgs),
    /// Write typed guest bindings for one server's tools: a TypeScript module of
    /// wrappers, or a Rust module for the guest SDK (`sluice-guest`).
    Bindings(BindingsArgs),
    /// Be an MCP server: clients see three tools (execute, search_tools,
    /// describe_tool) instead of every upstream definition. stdio by default;
    /// `--http` for Streamable HTTP. Long programs can run as tasks.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// MCP servers programs may call, as for `sluice run`. None are started
    /// until a program, search or description needs them.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
    /// With the 2026-07-28 tasks extension, an execute still running after this becomes a task.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = units::parse_duration)]
    task_after: Duration,
    /// Programs one client (token) may run at once; past it a request is refused at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    max_runs_per_client: usize,
    /// Programs all clients together may run at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_runs: usize,
    /// On SIGTERM or Ctrl-C, how long running programs may finish before they are cancelled.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = units::parse_duration)]
    grace: Duration,
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
    /// A directory to list or a file to print.
    #[arg(default_value = "servers/")]
    path: String,
    /// MCP servers, as for `sluice run`.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
    /// The program to run.
    program: PathBuf,
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
    /// Seed for the program's random numbers (default: fresh each run).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Print one JSON object with status, output and stats instead of the output.
    #[arg(long)]
    json: bool,
    /// Arguments passed to the program after its name.
    #[arg(last = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
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
    }
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
    let is_file = args.path.trim_end_matches('/').ends_with(".d.ts");
    let text = with_servers(args.config.as_deref(), async |servers| {
        let text = if is_file {
            tree::read(servers, &args.path).await
        } else {
            tree::list(servers, &args.path).await.map(|entries| {
                let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
                entries.iter().map(|entry| format!("{:width$}  {}\n", entry.name, entry.about)).collect()
            })
        };
        text.with_context(|| format!("cannot show {}", args.path))
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
    let servers = McpTools::new(&load_config(config, None)?, McpOptions::default());
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
    config.fuel_metering = args.limits.fuel.is_some();
    let tool_list_cache = config.cache_dir.clone();
    let launcher = Launcher::new(Runtime::new(config).context("cannot start the sandbox")?);
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;

    let workspace = match &args.workspace {
        Some(dir) => WorkspaceChoice::Directory(dir.clone()),
        None => WorkspaceChoice::Scratch,
    };
    let mut policy = ExecutionPolicy::default().with_args(args.args);
    if let Some(seed) = args.seed {
        policy = policy.with_random_seed(seed);
    }
    policy.limits = args.limits.request().applied_to(policy.limits);

    let cannot_run = || format!("cannot run {}", args.program.display());
    let source = Source::read(&args.program).with_context(cannot_run)?;
    let mut options = McpOptions::for_result_cap(policy.limits.result_bytes);
    options.tool_list_cache = tool_list_cache;
    // A workspace the user named may hold files the program writes: neither the
    // configuration nor a server may come from there (src/trust.rs).
    let granted = granted_workspace(args.workspace.as_deref(), args.allow_workspace_code);
    let servers = Arc::new(McpTools::new(&load_config(args.config.as_deref(), granted)?, options));
    let control = RunControl::new();
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
        eprintln!("sluice: warning: {}", escape_controls(&error.to_string()));
    }
    report(&launched.outcome, args.json)?;
    Ok(exit_code(&launched.outcome))
}

fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use sluice::serve::{self, ServeConfig, Sluice, WorkspaceMode, http::HttpConfig, tasks::MemoryTaskStore};

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
    if let (Some(workspace), Some(cache)) = (&args.workspace, &config.cache_dir)
        && trust::overlaps(workspace, cache)
    {
        anyhow::bail!(
            "--workspace {} overlaps the compiled-code cache {}; a program could plant code there",
            workspace.display(),
            cache.display()
        );
    }
    config.fuel_metering = args.limits.fuel.is_some();
    config.max_concurrent_runs = u32::try_from(args.max_runs).unwrap_or(u32::MAX).max(1);
    let tool_list_cache = config.cache_dir.clone();
    let launcher = Arc::new(Launcher::new(Runtime::new(config).context("cannot start the sandbox")?));

    let mut serve_config = ServeConfig::default();
    serve_config.limits = args.limits.request().applied_to(serve_config.limits);
    serve_config.workspace = match (&args.workspace, args.workspace_per_token) {
        (None, _) => WorkspaceMode::Scratch,
        (Some(dir), false) => WorkspaceMode::Shared(dir.clone()),
        (Some(dir), true) => WorkspaceMode::PerClient(dir.clone()),
    };
    serve_config.task_after = args.task_after;
    serve_config.max_runs_per_client = args.max_runs_per_client.max(1);
    serve_config.max_runs = args.max_runs.max(1);

    let granted = granted_workspace(args.workspace.as_deref(), args.allow_workspace_code);
    let mut options = McpOptions::for_result_cap(serve_config.limits.result_bytes);
    options.tool_list_cache = tool_list_cache;
    let mut upstream = load_config(args.config.as_deref(), granted)?;
    let already_said = upstream.warnings.len();
    upstream.drop_sluice_servers();
    for warning in &upstream.warnings[already_said..] {
        eprintln!("sluice: warning: {}", escape_controls(warning));
    }
    let servers = Arc::new(McpTools::new(&upstream, options));
    let store = Arc::new(MemoryTaskStore::new(serve_config.max_tasks_per_client));
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    let result = tokio.block_on(async {
        let sluice = Arc::new(Sluice::new(launcher.clone(), servers.clone(), store.clone(), serve_config));
        // Prepare the interpreter now, so the first program does not wait (and /readyz turns green).
        let warm = launcher.clone();
        tokio::spawn(async move {
            if let Err(error) = warm.javascript().await {
                tracing::error!("cannot prepare the JavaScript sandbox: {error}");
            }
        });
        // Expired tasks are dropped even when nobody asks about them.
        let sweeper = store.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                sluice::serve::tasks::TaskStore::expire(&*sweeper).await;
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
