//! Remote servers behind OAuth: `sluice login` through a `$BROWSER` script against a real
//! protected server on loopback (`tests/servers/oauth.py`, the Python SDK's authorization and
//! resource server), then runs that use, refresh and never show the token.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};

use crate::mcp_servers::{server_bin, wait_for};
use crate::support::root;

/// The browser of `sluice login`: fetches the URL and follows the redirects to Sluice's listener.
const BROWSER: &str =
    "#!/usr/bin/env python3\nimport sys, urllib.request\nurllib.request.urlopen(sys.argv[1], timeout=20).read()\n";

/// The protected server, a configuration naming it `secure`, private credentials and cache
/// directories, and the browser script; the server is killed on drop.
struct Secure {
    dir: tempfile::TempDir,
    server: std::process::Child,
    record: PathBuf,
}

impl Drop for Secure {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Secure {
    async fn start() -> Secure {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("record");
        let server = Command::new(server_bin("venv/bin/python"))
            .arg(root().join("tests/servers/oauth.py"))
            .arg(&record)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let secure = Secure { dir, server, record };
        wait_for("the server to listen", Duration::from_secs(30), || secure.port().is_some()).await;
        let url = format!("http://127.0.0.1:{}/mcp", secure.port().unwrap());
        let config = json!({ "mcpServers": { "secure": { "url": url } } });
        std::fs::write(secure.path("servers.json"), config.to_string()).unwrap();
        std::fs::write(secure.path("whoami.js"), "console.log(JSON.stringify(await tools.secure.whoami({})));\n")
            .unwrap();
        std::fs::write(secure.path("browser.py"), BROWSER).unwrap();
        set_mode(&secure.path("browser.py"), 0o700);
        secure
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn events(&self) -> Vec<String> {
        std::fs::read_to_string(&self.record).unwrap_or_default().lines().map(str::to_owned).collect()
    }

    fn port(&self) -> Option<u16> {
        self.events().iter().find_map(|line| line.strip_prefix("port ")?.parse().ok())
    }

    /// Every access and refresh token the server issued.
    fn tokens(&self) -> Vec<String> {
        self.events().iter().filter_map(|line| line.strip_prefix("token ").map(str::to_owned)).collect()
    }

    fn sluice(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .args(["--config", "servers.json"])
            .current_dir(self.dir.path())
            .env("SLUICE_CACHE_DIR", self.path("cache"))
            .env("SLUICE_CREDENTIALS_DIR", self.path("credentials"))
            .env("BROWSER", self.path("browser.py"))
            .env("SLUICE_LOG", "debug")
            .output()
            .unwrap()
    }

    fn login(&self) -> Output {
        let output = self.sluice(&["login", "secure", "--timeout", "30s"]);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        output
    }

    /// The one credentials file (beside it, a refresh's lock file).
    fn credentials(&self) -> PathBuf {
        let entries = std::fs::read_dir(self.path("credentials")).unwrap().map(|e| e.unwrap().path());
        let mut files: Vec<_> = entries.filter(|path| path.extension().is_some_and(|e| e == "json")).collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files.pop().unwrap()
    }
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn assert_no_token(secure: &Secure, output: &Output) {
    let tokens = secure.tokens();
    assert!(!tokens.is_empty());
    let all = text(output);
    for token in tokens {
        assert!(!all.contains(&token), "a token leaked into what Sluice printed: {all}");
    }
}

#[tokio::test]
async fn a_login_through_the_browser_lets_programs_call_and_no_output_or_log_shows_the_token() {
    let secure = Secure::start().await;
    let login = secure.login();
    // The URL is printed for a headless machine; the browser script followed it.
    assert!(text(&login).contains("/authorize?response_type=code"), "{}", text(&login));
    assert!(secure.events().contains(&"registered".to_owned()) && secure.events().contains(&"authorized".to_owned()));
    assert_no_token(&secure, &login);
    let file = secure.credentials();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&secure.path("credentials")), 0o700);

    let run = secure.sluice(&["run", "--json", "whoami.js"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let outcome: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(outcome["stdout"], "{\"result\":\"hello, signed-in caller\"}\n", "{outcome}");
    assert_no_token(&secure, &run);
    // The call really carried a token the server issued.
    let call = secure.events().into_iter().find_map(|line| line.strip_prefix("call ").map(str::to_owned)).unwrap();
    assert!(secure.tokens().contains(&call));

    // A server quoting the token back in an error shows the program only its redaction.
    let quoting = "try { await tools.secure.refuse({}); } catch (e) { console.log(e.message); }\n";
    std::fs::write(secure.path("refuse.js"), quoting).unwrap();
    let run = secure.sluice(&["run", "--json", "refuse.js"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let outcome: Value = serde_json::from_slice(&run.stdout).unwrap();
    let message = outcome["stdout"].as_str().unwrap();
    assert!(message.contains("may not do this") && message.contains("[redacted]"), "{message}");
    assert_no_token(&secure, &run);

    // Signed out, the next run is told to sign in again.
    let logout = secure.sluice(&["logout", "secure"]);
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout));
    assert!(!file.exists());
    let run = secure.sluice(&["run", "whoami.js"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("sign in with `sluice login secure`"), "{}", text(&run));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_by_the_run_and_the_fresh_one_is_stored() {
    let secure = Secure::start().await;
    secure.login();
    // The server issued the login's token already expired.
    let first = secure.tokens()[0].clone();
    assert!(std::fs::read_to_string(secure.credentials()).unwrap().contains(&first));

    let run = secure.sluice(&["run", "whoami.js"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(secure.events().contains(&"refreshed".to_owned()), "{:?}", secure.events());
    let fresh = secure.tokens()[1].clone();
    assert!(secure.events().contains(&format!("call {fresh}")), "{:?}", secure.events());
    let stored = std::fs::read_to_string(secure.credentials()).unwrap();
    assert!(stored.contains(&fresh) && !stored.contains(&first));
    assert_eq!(mode(&secure.credentials()), 0o600);
    assert_no_token(&secure, &run);

    // The next run uses the stored fresh token: no second refresh.
    let again = secure.sluice(&["run", "whoami.js"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert_eq!(secure.events().iter().filter(|e| *e == "refreshed").count(), 1, "{:?}", secure.events());
}

/// A browser that first sends the loopback listener forged redirects (another `state`,
/// another path, no `state`), writing each answer's status to `forged`, then signs in.
const FORGING_BROWSER: &str = r#"#!/usr/bin/env python3
import sys, urllib.error, urllib.parse, urllib.request
url = sys.argv[1]
query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
redirect, state = query["redirect_uri"][0], query["state"][0]
statuses = []
for forged in [redirect + "?code=forged&state=other", redirect.replace("/callback", "/elsewhere") + "?code=forged&state=" + state, redirect + "?code=forged"]:
    try:
        statuses.append(str(urllib.request.urlopen(forged, timeout=10).status))
    except urllib.error.HTTPError as error:
        statuses.append(str(error.code))
open("forged", "w").write(" ".join(statuses))
urllib.request.urlopen(url, timeout=20).read()
"#;

#[tokio::test]
async fn the_redirect_listener_ignores_requests_without_the_logins_state_or_path() {
    let secure = Secure::start().await;
    std::fs::write(secure.path("browser.py"), FORGING_BROWSER).unwrap();
    // The login survives the forgeries and completes with the real code: had it taken
    // `forged`, the token exchange would have failed.
    let login = secure.login();
    assert_eq!(std::fs::read_to_string(secure.path("forged")).unwrap(), "400 404 400", "{}", text(&login));
    assert_eq!(secure.tokens().len(), 1, "{:?}", secure.events());
    let run = secure.sluice(&["run", "whoami.js"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
}

#[tokio::test]
async fn a_run_without_a_login_fails_saying_to_run_sluice_login() {
    let secure = Secure::start().await;
    let run = secure.sluice(&["run", "--json", "whoami.js"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    // The program's uncaught tool error, as for any server that is unavailable.
    let outcome: Value = serde_json::from_slice(&run.stdout).unwrap();
    let error = outcome["error"].to_string();
    assert!(error.contains("server \\\"secure\\\" failed"), "{outcome}");
    assert!(
        error.contains("it answered HTTP 401: it requires authorization; sign in with `sluice login secure`"),
        "{outcome}"
    );
    assert!(!secure.path("credentials").exists());
}

#[tokio::test]
async fn a_credentials_file_others_can_read_owned_by_another_user_or_a_symlink_is_refused() {
    let secure = Secure::start().await;
    secure.login();
    let file = secure.credentials();
    let refused = |what: &str| {
        let run = secure.sluice(&["run", "whoami.js"]);
        assert_eq!(run.status.code(), Some(1), "{what}: {}", text(&run));
        assert!(text(&run).contains("its credentials file is refused"), "{what}: {}", text(&run));
        assert!(!secure.events().iter().any(|e| e.starts_with("call ")), "{what}: the server was called");
    };

    set_mode(&file, 0o644);
    refused("a file others can read");
    set_mode(&file, 0o600);

    let elsewhere = secure.path("elsewhere.json");
    std::fs::rename(&file, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &file).unwrap();
    refused("a symbolic link");
    std::fs::remove_file(&file).unwrap();
    std::fs::rename(&elsewhere, &file).unwrap();

    // Only root can give a file away; elsewhere the two checks above stand.
    if std::os::unix::fs::chown(&file, Some(65534), None).is_ok() {
        refused("a file owned by another user");
        use std::os::unix::fs::MetadataExt;
        let me = std::fs::metadata(secure.dir.path()).unwrap().uid();
        std::os::unix::fs::chown(&file, Some(me), None).unwrap();
    }
    // Put right, the same file works.
    let run = secure.sluice(&["run", "whoami.js"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
}
