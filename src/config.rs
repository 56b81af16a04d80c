//! The MCP configuration users already have (`{"mcpServers": {...}}`), read into typed server settings.
//!
//! Accepted shapes: Claude Desktop and Cursor's `{"mcpServers": {name: {...}}}`
//! and VS Code's `{"servers": {name: {...}}}`. A server is stdio (`command`,
//! `args`, `env`, `cwd`) or Streamable HTTP (`url`, `headers`); `type` may say
//! which (`stdio`, `http`, `streamable-http`). Sluice's own per-server keys:
//! `timeout` (the server's start-up, and each call; `"30s"` or milliseconds), `allow` and `deny` (tool-name
//! globs with `*` and `?`), `readOnly` (only tools annotated `readOnlyHint`), and
//! `description` (the one-line summary programs see). `"disabled": true` leaves a
//! server out. Unknown keys are ignored with a warning naming the closest known
//! key (`readonly` → `readOnly`). A remote server's `oauth` object ([`OAuthConfig`])
//! says how Sluice signs in to it; there an unknown key is an error.
//!
//! **Secrets stay on the host:** `${env:NAME}` in `env` values, `headers` and `oauth.clientSecret` is
//! kept as a template and expanded from Sluice's own environment only when the
//! server is started; nothing of the configuration is shown to programs but the
//! server names and their `description`. A stdio server gets no variable of
//! Sluice's environment but [`crate::mcp::INHERITED_VARIABLES`] and what its
//! `env` names. Every value here (`env`, `args`, `headers`, the URL's userinfo,
//! path and query) is redacted from host details an error quotes to a program.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::suggest::did_you_mean;
use crate::units::parse_duration;

/// Why a configuration could not be used. Each message names the file, the
/// server and the key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{origin} is not valid JSON")]
    Json {
        /// Where it came from.
        origin: String,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The JSON does not describe servers the way Sluice reads them.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where it came from.
        origin: String,
        /// What is wrong, naming the server and key.
        message: String,
    },
}

/// The servers of a configuration, and what was ignored in it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SluiceConfig {
    /// Servers by the name programs use.
    pub servers: BTreeMap<String, ServerConfig>,
    /// Keys that were ignored, one sentence each.
    pub warnings: Vec<String>,
}

/// One upstream MCP server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// How to reach it.
    pub transport: Transport,
    /// Longest the server may take to start (through the MCP handshake), and
    /// one call may take. Default: [`crate::mcp::McpOptions::startup_timeout`]
    /// to start, and calls none beyond the run's deadline.
    pub timeout: Option<Duration>,
    /// Which of its tools programs may see and call.
    pub tools: ToolFilter,
    /// The summary `sluice.servers()` shows (never the command line, which may hold secrets).
    pub description: Option<String>,
}

/// How Sluice reaches a server.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Transport {
    /// A child process speaking MCP on stdin/stdout.
    Stdio {
        /// The program.
        command: String,
        /// Its arguments.
        args: Vec<String>,
        /// Variables set for it (values may hold `${env:NAME}`).
        env: BTreeMap<String, Template>,
        /// Its working directory.
        cwd: Option<PathBuf>,
    },
    /// A Streamable HTTP endpoint.
    Http {
        /// The MCP endpoint.
        url: String,
        /// Headers sent with every request (values may hold `${env:NAME}`).
        headers: BTreeMap<String, Template>,
        /// How Sluice signs in with OAuth 2.1 when the server asks for it; `None`
        /// is the default client (dynamic registration or a client metadata
        /// document, the authorization-code grant, scopes the server names).
        oauth: Option<OAuthConfig>,
    },
}

/// A remote server's OAuth 2.1 client settings (the `"oauth"` object of an
/// HTTP server). Every key is optional; an unknown key is an error, as a
/// misspelt secret or grant would otherwise be silently ignored.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct OAuthConfig {
    /// A client registered with the authorization server beforehand
    /// (`clientId`); without one Sluice uses `clientMetadataUrl` where the
    /// server supports client metadata documents, else dynamic registration.
    pub client_id: Option<String>,
    /// The registered client's secret (`clientSecret`, usually `${env:NAME}`).
    pub client_secret: Option<Template>,
    /// A PEM private key file for `private_key_jwt` (`privateKeyFile`), with
    /// the `client_credentials` grant.
    pub private_key_file: Option<PathBuf>,
    /// The key's JWT algorithm (`signingAlgorithm`: `ES256`, the default,
    /// `ES384`, `RS256`, `RS384` or `RS512`).
    pub signing_algorithm: Option<String>,
    /// Scopes to ask for (`scopes`); default: those the server's challenge or
    /// its protected-resource metadata names.
    pub scopes: Vec<String>,
    /// The HTTPS URL of this client's metadata document (`clientMetadataUrl`, SEP-991).
    pub client_metadata_url: Option<String>,
    /// How tokens are obtained (`grant`).
    pub grant: OAuthGrant,
    /// The enterprise identity provider (`idp`), with the `enterprise` grant.
    pub idp: Option<Box<IdpConfig>>,
}

/// The enterprise identity provider of the `enterprise` grant (SEP-990): the
/// person's ID token from it is exchanged there for an identity assertion
/// (RFC 8693), which the MCP server's authorization server takes as a JWT
/// bearer grant (RFC 7523). No browser, nothing stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IdpConfig {
    /// Its issuer identifier (`issuer`).
    pub issuer: String,
    /// Its token endpoint (`tokenEndpoint`).
    pub token_endpoint: String,
    /// This client's id there (`clientId`).
    pub client_id: String,
    /// This client's secret there, if it is confidential (`clientSecret`, usually `${env:NAME}`).
    pub client_secret: Option<Template>,
    /// The person's ID token from it (`idToken`, usually `${env:NAME}`, set by the enterprise's sign-in).
    pub id_token: Template,
}

/// How a server's tokens are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OAuthGrant {
    /// A person signs in once in a browser (`sluice login SERVER`); runs use
    /// the stored token and refresh it.
    #[default]
    AuthorizationCode,
    /// The client authenticates itself (`clientSecret` or `privateKeyFile`)
    /// at each connection; no login, nothing stored.
    ClientCredentials,
    /// Enterprise-managed authorization (SEP-990): an ID token from the
    /// configured `idp` is exchanged at each connection; no login, nothing stored.
    Enterprise,
}

/// A string that may refer to Sluice's environment as `${env:NAME}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

/// A `${env:NAME}` whose variable is not set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the environment variable {0} is not set (the configuration refers to it as ${{env:{0}}})")]
pub struct MissingVariable(pub String);

impl Template {
    fn parse(text: &str) -> Result<Template, String> {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("{text:?} has a `${{` without a closing `}}`"))?;
            let name = after[..end]
                .strip_prefix("env:")
                .ok_or_else(|| format!("{text:?}: only ${{env:NAME}} is supported, not ${{{}}}", &after[..end]))?;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("{text:?}: {name:?} is not an environment variable name"));
            }
            rest = &after[end + 1..];
        }
        Ok(Template(text.to_owned()))
    }

    /// The text with every `${env:NAME}` replaced by `lookup(NAME)`.
    pub fn expand(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<String, MissingVariable> {
        let mut out = String::new();
        let mut rest = self.0.as_str();
        while let Some(start) = rest.find("${env:") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 6..];
            let end = after.find('}').expect("checked when parsed");
            let name = &after[..end];
            out.push_str(&lookup(name).ok_or_else(|| MissingVariable(name.to_owned()))?);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Which tools of a server are exposed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ToolFilter {
    /// If not empty, only tools matching one of these globs.
    pub allow: Vec<String>,
    /// Never tools matching one of these globs.
    pub deny: Vec<String>,
    /// Only tools whose annotations say `readOnlyHint: true`.
    pub read_only: bool,
}

impl ToolFilter {
    /// Whether a tool named `name`, with these MCP `annotations`, is exposed.
    pub fn admits(&self, name: &str, annotations: Option<&Value>) -> bool {
        self.refusal(name, annotations).is_none()
    }

    /// Which rule hides a tool named `name` with these MCP `annotations`, as
    /// its configuration spells it (`"deny": ["delete_*"]`), or `None` if the tool is exposed.
    pub fn refusal(&self, name: &str, annotations: Option<&Value>) -> Option<String> {
        if let Some(glob) = self.deny.iter().find(|glob| glob_matches(glob, name)) {
            return Some(format!("\"deny\": [{glob:?}]"));
        }
        if !self.allow.is_empty() && !self.allow.iter().any(|glob| glob_matches(glob, name)) {
            return Some(format!("\"allow\": {:?}, which it matches none of", self.allow));
        }
        let read_only = annotations.and_then(|a| a.get("readOnlyHint")).and_then(Value::as_bool) == Some(true);
        (self.read_only && !read_only)
            .then(|| "\"readOnly\": true, and the server does not annotate it readOnlyHint".to_owned())
    }
}

/// `*` matches any run of characters, `?` any one; everything else itself.
fn glob_matches(glob: &str, name: &str) -> bool {
    let (glob, name): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    // Iterative matching with backtracking to the last `*`.
    let (mut g, mut n, mut star, mut mark) = (0, 0, None, 0);
    while n < name.len() {
        if g < glob.len() && (glob[g] == '?' || glob[g] == name[n]) {
            g += 1;
            n += 1;
        } else if g < glob.len() && glob[g] == '*' {
            star = Some(g);
            mark = n;
            g += 1;
        } else if let Some(s) = star {
            g = s + 1;
            mark += 1;
            n = mark;
        } else {
            return false;
        }
    }
    glob[g..].iter().all(|c| *c == '*')
}

/// Where Sluice looks for a configuration when none is given, in order: the
/// project's `sluice.json`, then `.mcp.json` (the project file Claude Code
/// writes), then the user's `$XDG_CONFIG_HOME/sluice/config.json` (or
/// `~/.config/sluice/config.json`).
pub fn default_paths() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("sluice.json"), PathBuf::from(".mcp.json")];
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(dir) = config_home {
        paths.push(dir.join("sluice").join("config.json"));
    }
    paths
}

impl SluiceConfig {
    /// No servers.
    pub fn empty() -> Self {
        SluiceConfig { servers: BTreeMap::new(), warnings: Vec::new() }
    }

    /// Drops the servers that are `sluice serve` itself (a client's own
    /// configuration, reused for `sluice serve --config`, lists Sluice): as an
    /// upstream it would let every program start another Sluice, recursively.
    /// Each one dropped adds a warning.
    pub fn drop_sluice_servers(&mut self) {
        let is_sluice = |server: &ServerConfig| match &server.transport {
            Transport::Stdio { command, args, .. } => {
                let program = Path::new(command).file_name().and_then(|n| n.to_str()).unwrap_or_default();
                program.trim_end_matches(".exe") == "sluice" && args.iter().any(|arg| arg == "serve")
            }
            _ => false,
        };
        let names: Vec<String> = self.servers.iter().filter(|(_, s)| is_sluice(s)).map(|(n, _)| n.clone()).collect();
        for name in names {
            self.servers.remove(&name);
            self.warnings.push(format!("skipping server {name:?}: it is `sluice serve` itself"));
        }
    }

    /// Reads the configuration in `path`.
    pub fn load(path: &Path) -> Result<SluiceConfig, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        SluiceConfig::parse(&text, &path.display().to_string())
    }

    /// Reads a configuration from its text; `origin` names it in messages.
    pub fn parse(text: &str, origin: &str) -> Result<SluiceConfig, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { origin: origin.to_owned(), message };
        let root: Value =
            serde_json::from_str(text).map_err(|source| ConfigError::Json { origin: origin.to_owned(), source })?;
        let Value::Object(root) = root else {
            return Err(invalid("the configuration must be a JSON object with \"mcpServers\"".to_owned()));
        };
        let mut config = SluiceConfig::empty();
        let mut found = false;
        for (key, value) in &root {
            match key.as_str() {
                "mcpServers" | "servers" => {
                    found = true;
                    let Value::Object(servers) = value else {
                        return Err(invalid(format!("\"{key}\" must be an object of servers by name")));
                    };
                    for (name, server) in servers {
                        if server.get("disabled") == Some(&Value::Bool(true)) {
                            continue;
                        }
                        if config.servers.contains_key(name) {
                            return Err(invalid(format!("server {name:?} is defined twice")));
                        }
                        let parsed = parse_server(name, server, &mut config.warnings).map_err(invalid)?;
                        config.servers.insert(name.clone(), parsed);
                    }
                }
                other => {
                    let hint = did_you_mean(other, ["mcpServers", "servers"]);
                    config.warnings.push(format!("{origin}: ignoring the unknown key {other:?}{hint}"));
                }
            }
        }
        if !found {
            return Err(invalid(
                "there is no \"mcpServers\" object (the format Claude Desktop, Cursor and VS Code use)".to_owned(),
            ));
        }
        // The caller says the warnings (`warnings`), once: they are not logged here too.
        Ok(config)
    }
}

fn parse_server(name: &str, value: &Value, warnings: &mut Vec<String>) -> Result<ServerConfig, String> {
    let Value::Object(fields) = value else {
        return Err(format!("server {name:?} must be an object"));
    };
    let field = |key: &str| fields.get(key);
    let string = |key: &str| -> Result<Option<String>, String> {
        match field(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(format!("server {name:?}: \"{key}\" must be a string")),
        }
    };
    let strings = |key: &str| -> Result<Vec<String>, String> {
        match field(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| format!("server {name:?}: \"{key}\" must be a list of strings")),
            Some(_) => Err(format!("server {name:?}: \"{key}\" must be a list of strings")),
        }
    };
    let templates = |key: &str| -> Result<BTreeMap<String, Template>, String> {
        match field(key) {
            None | Some(Value::Null) => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    let text = v.as_str().ok_or_else(|| format!("server {name:?}: \"{key}.{k}\" must be a string"))?;
                    let template = Template::parse(text).map_err(|e| format!("server {name:?}: \"{key}.{k}\": {e}"))?;
                    Ok((k.clone(), template))
                })
                .collect(),
            Some(_) => Err(format!("server {name:?}: \"{key}\" must be an object of strings")),
        }
    };

    let kind = string("type")?;
    let command = string("command")?;
    let url = string("url")?;
    let transport = match (kind.as_deref(), command, url) {
        (None | Some("stdio"), Some(command), None) => Transport::Stdio {
            command,
            args: strings("args")?,
            env: templates("env")?,
            cwd: string("cwd")?.map(PathBuf::from),
        },
        (None | Some("http" | "streamable-http" | "streamableHttp"), None, Some(url)) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("server {name:?}: \"url\" must be an http:// or https:// URL, not {url:?}"));
            }
            let headers = templates("headers")?;
            let oauth = match field("oauth") {
                None | Some(Value::Null) => None,
                Some(value) => Some(parse_oauth(name, value)?),
            };
            if oauth.is_some() && headers.keys().any(|key| key.eq_ignore_ascii_case("authorization")) {
                return Err(format!("server {name:?} has both an \"Authorization\" header and \"oauth\"; keep one"));
            }
            Transport::Http { url, headers, oauth }
        }
        (Some("sse"), _, _) => {
            return Err(format!(
                "server {name:?}: the deprecated SSE transport is not supported; use its Streamable HTTP endpoint"
            ));
        }
        (_, Some(_), Some(_)) => return Err(format!("server {name:?} has both \"command\" and \"url\"; keep one")),
        (_, None, None) => {
            return Err(format!("server {name:?} needs \"command\" (a stdio server) or \"url\" (Streamable HTTP)"));
        }
        (Some(other), _, _) => {
            return Err(format!("server {name:?}: \"type\" {other:?} does not match its \"command\"/\"url\""));
        }
    };
    let timeout = match field("timeout") {
        None | Some(Value::Null) => None,
        Some(Value::Number(ms)) => Some(Duration::from_millis(
            ms.as_u64()
                .ok_or_else(|| format!("server {name:?}: \"timeout\" must be a whole number of milliseconds"))?,
        )),
        Some(Value::String(text)) => {
            Some(parse_duration(text).map_err(|e| format!("server {name:?}: \"timeout\": {e}"))?)
        }
        Some(_) => return Err(format!("server {name:?}: \"timeout\" must be a duration such as \"30s\"")),
    };
    let read_only = match field("readOnly") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(format!("server {name:?}: \"readOnly\" must be true or false")),
    };
    let tools = ToolFilter { allow: strings("allow")?, deny: strings("deny")?, read_only };

    const KNOWN: [&str; 14] = [
        "type",
        "command",
        "args",
        "env",
        "cwd",
        "url",
        "headers",
        "oauth",
        "timeout",
        "allow",
        "deny",
        "readOnly",
        "description",
        "disabled",
    ];
    warn_unknown(name, fields, &KNOWN, warnings);
    Ok(ServerConfig { transport, timeout, tools, description: string("description")? })
}

/// Reads a server's `"oauth"` object; unknown keys and contradictions are errors.
fn parse_oauth(name: &str, value: &Value) -> Result<OAuthConfig, String> {
    const KNOWN: [&str; 8] = [
        "clientId",
        "clientSecret",
        "privateKeyFile",
        "signingAlgorithm",
        "scopes",
        "clientMetadataUrl",
        "grant",
        "idp",
    ];
    const ALGORITHMS: [&str; 5] = ["ES256", "ES384", "RS256", "RS384", "RS512"];
    let shape = "an object such as {\"clientId\": \"...\"}";
    let settings = Settings::new(name, "oauth", value, &KNOWN, shape)?;
    let (fields, string) = (settings.fields, |key: &str| settings.string(key));
    let scopes = match fields.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().filter(|s| !s.is_empty() && !s.contains(char::is_whitespace)))
            .map(|scope| scope.map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("server {name:?}: \"oauth.scopes\" must be a list of scopes without spaces"))?,
        Some(_) => return Err(format!("server {name:?}: \"oauth.scopes\" must be a list of strings")),
    };
    let grant = match string("grant")?.as_deref() {
        None | Some("authorization_code") => OAuthGrant::AuthorizationCode,
        Some("client_credentials") => OAuthGrant::ClientCredentials,
        Some("enterprise") => OAuthGrant::Enterprise,
        Some(other) => {
            let hint = did_you_mean(other, ["authorization_code", "client_credentials", "enterprise"]);
            return Err(format!(
                "server {name:?}: \"oauth.grant\" must be \"authorization_code\", \"client_credentials\" or \"enterprise\", not {other:?}{hint}"
            ));
        }
    };
    let client_secret = string("clientSecret")?
        .map(|text| Template::parse(&text).map_err(|e| format!("server {name:?}: \"oauth.clientSecret\": {e}")))
        .transpose()?;
    let client_metadata_url = string("clientMetadataUrl")?;
    if let Some(url) = &client_metadata_url {
        let path = url.strip_prefix("https://").and_then(|rest| rest.split_once('/')).map(|(_, path)| path);
        if path.is_none_or(str::is_empty) {
            return Err(format!(
                "server {name:?}: \"oauth.clientMetadataUrl\" must be an https:// URL with a path, not {url:?}"
            ));
        }
    }
    let config = OAuthConfig {
        client_id: string("clientId")?,
        client_secret,
        private_key_file: string("privateKeyFile")?.map(PathBuf::from),
        signing_algorithm: string("signingAlgorithm")?,
        scopes,
        client_metadata_url,
        grant,
        idp: fields.get("idp").map(|idp| parse_idp(name, idp).map(Box::new)).transpose()?,
    };
    let needs = |what: &str| Err(format!("server {name:?}: \"oauth\": {what}"));
    if (config.client_secret.is_some() || config.private_key_file.is_some()) && config.client_id.is_none() {
        return needs("a \"clientSecret\" or \"privateKeyFile\" belongs to a \"clientId\"; add it");
    }
    if let Some(algorithm) = &config.signing_algorithm {
        if !ALGORITHMS.contains(&algorithm.as_str()) {
            let hint = did_you_mean(algorithm, ALGORITHMS);
            return needs(&format!(
                "\"signingAlgorithm\" must be one of {}, not {algorithm:?}{hint}",
                ALGORITHMS.join(", ")
            ));
        }
        if config.private_key_file.is_none() {
            return needs("\"signingAlgorithm\" is the algorithm of a \"privateKeyFile\"; add it");
        }
    }
    if config.client_secret.is_some() && config.private_key_file.is_some() {
        return needs("\"clientSecret\" and \"privateKeyFile\" are two ways to authenticate; keep one");
    }
    match config.grant {
        OAuthGrant::ClientCredentials if config.client_secret.is_none() && config.private_key_file.is_none() => {
            needs("the client_credentials grant needs \"clientId\" with \"clientSecret\" or \"privateKeyFile\"")
        }
        OAuthGrant::AuthorizationCode | OAuthGrant::Enterprise if config.private_key_file.is_some() => {
            needs("\"privateKeyFile\" is for the client_credentials grant")
        }
        OAuthGrant::Enterprise if config.idp.is_none() || config.client_id.is_none() => {
            needs("the enterprise grant needs \"clientId\" (at the server's authorization server) and \"idp\"")
        }
        OAuthGrant::AuthorizationCode | OAuthGrant::ClientCredentials if config.idp.is_some() => {
            needs("\"idp\" is for the enterprise grant (\"grant\": \"enterprise\")")
        }
        _ => Ok(config),
    }
}

/// A settings object (`oauth`, `oauth.idp`) of one server, read field by field.
struct Settings<'v> {
    name: &'v str,
    what: &'static str,
    fields: &'v Map<String, Value>,
}

impl<'v> Settings<'v> {
    /// `value` as the settings object `what` of server `name` (`shape` says what
    /// it should look like); an unknown key is an error.
    fn new(name: &'v str, what: &'static str, value: &'v Value, known: &[&str], shape: &str) -> Result<Self, String> {
        let Value::Object(fields) = value else {
            return Err(format!("server {name:?}: \"{what}\" must be {shape}"));
        };
        if let Some(key) = fields.keys().find(|key| !known.contains(&key.as_str())) {
            let hint = did_you_mean(key, known.iter().copied());
            return Err(format!("server {name:?}: \"{what}\" has the unknown key {key:?}{hint}"));
        }
        Ok(Settings { name, what, fields })
    }

    /// The field `key`, a non-empty string if present.
    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.clone())),
            Some(_) => Err(format!("server {:?}: \"{}.{key}\" must be a non-empty string", self.name, self.what)),
        }
    }
}

/// Reads `oauth.idp`: the enterprise grant's identity provider.
fn parse_idp(name: &str, value: &Value) -> Result<IdpConfig, String> {
    const KNOWN: [&str; 5] = ["issuer", "tokenEndpoint", "clientId", "clientSecret", "idToken"];
    let shape = "an object with \"issuer\", \"tokenEndpoint\", \"clientId\" and \"idToken\"";
    let settings = Settings::new(name, "oauth.idp", value, &KNOWN, shape)?;
    let string = |key: &str| settings.string(key);
    let required = |key: &str| string(key)?.ok_or_else(|| format!("server {name:?}: \"oauth.idp\" needs \"{key}\""));
    let template = |key: &str, text: String| {
        Template::parse(&text).map_err(|e| format!("server {name:?}: \"oauth.idp.{key}\": {e}"))
    };
    Ok(IdpConfig {
        issuer: required("issuer")?,
        token_endpoint: required("tokenEndpoint")?,
        client_id: required("clientId")?,
        client_secret: string("clientSecret")?.map(|text| template("clientSecret", text)).transpose()?,
        id_token: template("idToken", required("idToken")?)?,
    })
}

fn warn_unknown(name: &str, fields: &Map<String, Value>, known: &[&str], warnings: &mut Vec<String>) {
    for key in fields.keys().filter(|key| !known.contains(&key.as_str())) {
        let hint = did_you_mean(key, known.iter().copied());
        warnings.push(format!("server {name:?}: ignoring the unknown key {key:?}{hint}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sluice_itself_is_dropped_from_the_servers_it_serves() {
        let text = r#"{"mcpServers": {
            "sluice": {"command": "/opt/sluice/target/release/sluice", "args": ["serve", "--config", "x.json"]},
            "time": {"command": "mcp-server-time"},
            "runner": {"command": "sluice", "args": ["run", "a.js"]}
        }}"#;
        let mut config = SluiceConfig::parse(text, "test").unwrap();
        config.drop_sluice_servers();
        assert_eq!(config.servers.keys().collect::<Vec<_>>(), ["runner", "time"]);
        assert!(config.warnings.iter().any(|w| w.contains("\"sluice\"")), "{:?}", config.warnings);
    }

    fn parse(text: &str) -> Result<SluiceConfig, ConfigError> {
        SluiceConfig::parse(text, "test.json")
    }

    #[test]
    fn claude_desktop_and_vs_code_shapes_are_read() {
        let config = parse(
            r#"{"mcpServers": {
                "everything": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-everything"], "env": {"TOKEN": "${env:GH_TOKEN}"}},
                "remote": {"type": "http", "url": "http://127.0.0.1:3001/mcp", "headers": {"Authorization": "Bearer ${env:API_KEY}"}, "timeout": "5s"}
            }}"#,
        )
        .unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        let Transport::Stdio { command, args, env, .. } = &config.servers["everything"].transport else { panic!() };
        assert_eq!((command.as_str(), args.len()), ("npx", 2));
        assert_eq!(env["TOKEN"].expand(|n| (n == "GH_TOKEN").then(|| "secret".to_owned())).unwrap(), "secret");
        let remote = &config.servers["remote"];
        assert!(matches!(&remote.transport, Transport::Http { url, .. } if url == "http://127.0.0.1:3001/mcp"));
        assert_eq!(remote.timeout, Some(Duration::from_secs(5)));

        let vs_code = parse(r#"{"servers": {"time": {"type": "stdio", "command": "mcp-server-time"}}}"#).unwrap();
        assert!(vs_code.servers.contains_key("time"));
        let disabled =
            parse(r#"{"mcpServers": {"off": {"command": "x", "disabled": true}, "on": {"command": "y"}}}"#).unwrap();
        assert_eq!(disabled.servers.keys().collect::<Vec<_>>(), ["on"]);
    }

    #[test]
    fn unknown_keys_are_warnings_not_errors() {
        let config =
            parse(r#"{"mcpServers": {"a": {"command": "x", "autoApprove": []}}, "globalShortcut": "x"}"#).unwrap();
        assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
        assert!(config.warnings.iter().any(|w| w.contains("autoApprove")));
    }

    #[test]
    fn a_misspelt_key_is_warned_about_with_the_key_it_resembles() {
        let config = parse(r#"{"mcpservers": {}, "servers": {"a": {"command": "x", "readonly": true}}}"#).unwrap();
        assert!(
            config.warnings.iter().any(|w| w.ends_with("\"readonly\" (did you mean `readOnly`?)")),
            "{:?}",
            config.warnings
        );
        assert!(config.warnings.iter().any(|w| w.contains("(did you mean `mcpServers`")), "{:?}", config.warnings);
    }

    #[test]
    fn bad_servers_are_errors_that_name_the_server_and_key() {
        for (text, expected) in [
            (r#"{"mcpServers": {"a": {}}}"#, "needs \"command\""),
            (r#"{"mcpServers": {"a": {"command": "x", "url": "http://y"}}}"#, "both"),
            (r#"{"mcpServers": {"a": {"command": "x", "args": "-v"}}}"#, "\"args\" must be a list"),
            (r#"{"mcpServers": {"a": {"url": "ftp://y"}}}"#, "http:// or https://"),
            (r#"{"mcpServers": {"a": {"command": "x", "timeout": "soon"}}}"#, "\"timeout\""),
            (r#"{"mcpServers": {"a": {"command": "x", "env": {"K": "${HOME}"}}}}"#, "only ${env:NAME}"),
            (r#"{"mcpServers": {"a": {"type": "sse", "url": "http://y"}}}"#, "Streamable HTTP"),
            (r#"{"servers": {}, "mcpServers": {}}"#, ""),
            (r#"{"other": {}}"#, "no \"mcpServers\""),
        ] {
            match parse(text) {
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.contains(expected) && message.starts_with("test.json"), "{text}: {message}")
                }
                Ok(_) if expected.is_empty() => {}
                Ok(config) => panic!("{text} was accepted: {config:?}"),
            }
        }
        assert!(matches!(parse("{not json"), Err(ConfigError::Json { .. })));
    }

    #[test]
    fn oauth_settings_are_read_and_checked() {
        let config = parse(
            r#"{"mcpServers": {"remote": {"url": "https://mcp.example.com/mcp", "oauth": {
                "clientId": "sluice", "clientSecret": "${env:SECRET}", "scopes": ["read", "write"],
                "clientMetadataUrl": "https://sluice.example/client.json"}}}}"#,
        )
        .unwrap();
        let Transport::Http { oauth: Some(oauth), .. } = &config.servers["remote"].transport else { panic!() };
        assert_eq!(oauth.client_id.as_deref(), Some("sluice"));
        assert_eq!(oauth.scopes, ["read", "write"]);
        assert_eq!(oauth.grant, OAuthGrant::AuthorizationCode);
        assert!(oauth.client_secret.is_some());

        for (oauth, expected) in [
            (r#"{"clientID": "x"}"#, "unknown key \"clientID\" (did you mean `clientId`?)"),
            (r#"{"grant": "password"}"#, "\"oauth.grant\" must be"),
            (r#"{"grant": "client_credential"}"#, "did you mean `client_credentials`"),
            (r#"{"grant": "client_credentials", "clientId": "x"}"#, "needs \"clientId\" with"),
            (r#"{"clientSecret": "s"}"#, "belongs to a \"clientId\""),
            (r#"{"clientId": "x", "clientSecret": "s", "privateKeyFile": "k"}"#, "keep one"),
            (r#"{"clientId": "x", "privateKeyFile": "k"}"#, "for the client_credentials grant"),
            (r#"{"scopes": ["a b"]}"#, "without spaces"),
            (r#"{"clientMetadataUrl": "http://x.example/c.json"}"#, "https:// URL with a path"),
            (r#"{"clientMetadataUrl": "https://x.example/"}"#, "https:// URL with a path"),
            (r#"{"clientId": ""}"#, "non-empty string"),
            (
                r#"{"grant": "client_credentials", "clientId": "x", "privateKeyFile": "k", "signingAlgorithm": "es256"}"#,
                "did you mean `ES256`",
            ),
            (r#"{"clientId": "x", "signingAlgorithm": "RS256"}"#, "the algorithm of a \"privateKeyFile\""),
            (r#""yes""#, "must be an object"),
            (
                r#"{"grant": "enterprise", "clientId": "x"}"#,
                "needs \"clientId\" (at the server's authorization server) and \"idp\"",
            ),
            (
                r#"{"clientId": "x", "idp": {"issuer": "i", "tokenEndpoint": "t", "clientId": "c", "idToken": "d"}}"#,
                "for the enterprise grant",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "x", "idp": {"issuer": "i", "tokenEndpoint": "t", "clientId": "c"}}"#,
                "needs \"idToken\"",
            ),
            (
                r#"{"grant": "enterprise", "clientId": "x", "idp": {"issuer": "i", "token_endpoint": "t"}}"#,
                "did you mean `tokenEndpoint`",
            ),
        ] {
            let text = format!(r#"{{"mcpServers": {{"r": {{"url": "https://x.example/mcp", "oauth": {oauth}}}}}}}"#);
            let message = parse(&text).unwrap_err().to_string();
            assert!(message.contains(expected), "{oauth}: {message}");
        }
        let enterprise = parse(
            r#"{"mcpServers": {"r": {"url": "https://x.example/mcp", "oauth": {"grant": "enterprise", "clientId": "x",
                "idp": {"issuer": "https://idp.example", "tokenEndpoint": "https://idp.example/token",
                        "clientId": "sluice", "idToken": "${env:SSO_ID_TOKEN}"}}}}}"#,
        )
        .unwrap();
        let Transport::Http { oauth: Some(oauth), .. } = &enterprise.servers["r"].transport else { panic!() };
        let idp = oauth.idp.as_ref().unwrap();
        assert_eq!((oauth.grant, idp.client_id.as_str()), (OAuthGrant::Enterprise, "sluice"));
        assert_eq!(idp.id_token.expand(|name| (name == "SSO_ID_TOKEN").then(|| "t".to_owned())).unwrap(), "t");
        let both = r#"{"mcpServers": {"r": {"url": "https://x.example/mcp", "headers": {"authorization": "Bearer t"},
            "oauth": {}}}}"#;
        assert!(parse(both).unwrap_err().to_string().contains("keep one"));
    }

    #[test]
    fn a_missing_variable_is_reported_by_name_only_when_expanded() {
        let template = Template::parse("Bearer ${env:NOT_SET_ANYWHERE}").unwrap();
        assert_eq!(template.expand(|_| None).unwrap_err(), MissingVariable("NOT_SET_ANYWHERE".to_owned()));
        assert_eq!(Template::parse("plain").unwrap().expand(|_| None).unwrap(), "plain");
    }

    #[test]
    fn tool_filters_apply_globs_and_read_only_annotations() {
        let filter =
            ToolFilter { allow: vec!["get_*".into(), "list?".into()], deny: vec!["*secret*".into()], read_only: false };
        assert!(filter.admits("get_issue", None));
        assert!(filter.admits("lists", None));
        assert!(!filter.admits("list", None));
        assert!(!filter.admits("get_secret_key", None));
        assert!(!filter.admits("create_issue", None));
        assert_eq!(filter.refusal("get_secret_key", None).as_deref(), Some(r#""deny": ["*secret*"]"#));
        assert!(filter.refusal("get_issue", None).is_none());
        let read_only = ToolFilter { read_only: true, ..ToolFilter::default() };
        assert!(read_only.admits("get", Some(&serde_json::json!({ "readOnlyHint": true }))));
        assert!(!read_only.admits("delete", Some(&serde_json::json!({ "readOnlyHint": false }))));
        assert!(!read_only.admits("unannotated", None));
    }

    #[test]
    fn globs_backtrack_over_stars() {
        assert!(glob_matches("*a*b", "xxaxxab"));
        assert!(glob_matches("a*", "a"));
        assert!(!glob_matches("a*c", "abcd"));
        assert!(glob_matches("*", ""));
    }
}
