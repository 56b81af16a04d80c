//! Hiding a server's configured values in host details quoted to programs.
//!
//! Errors a program sees name the server and the kind of failure. When one
//! quotes a host detail (a server's stderr or a line it printed, an HTTP
//! client's error, a message the server answered with), the detail first goes
//! through the server's [`Redactor`], built from everything its configuration
//! holds that may be a secret: `env` values (literal or expanded from
//! `${env:NAME}`, and each expanded variable on its own), `args`, header values
//! (`Authorization` and any other), and the URL (whole, and its userinfo, path
//! segments and query string), and the OAuth tokens and registered client secret
//! the server's connections use, learnt as they are read or issued
//! ([`Redactor::add_secret`], shared by every clone). A value is hidden wherever it occurs, and so is
//! any run of [`FRAGMENT`] or more bytes copied from one (a token quoted in
//! part, or inside a longer line). Values shorter than [`MIN_SECRET`] bytes are
//! left alone: they cannot be told apart from ordinary words. Control
//! characters in what is quoted are escaped, so a server's text cannot drive
//! the terminal of whoever reads the error.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::config::{ServerConfig, Template, Transport};
use crate::terminal::escape_controls;

/// What a hidden stretch of text becomes.
pub(crate) const REDACTED: &str = "[redacted]";

/// The shortest value hidden where it occurs whole.
pub(crate) const MIN_SECRET: usize = 4;

/// The length of the pieces of longer values that are hidden wherever they occur.
pub(crate) const FRAGMENT: usize = 8;

/// The most bytes of configured values a redactor indexes (configurations are
/// small; this only bounds the work of a pathological one).
const MAX_INDEXED_BYTES: usize = 1 << 20;

/// Characters that separate the parts of a value worth hiding on their own:
/// `--token=abc`, `Bearer abc`, `user:password@host`, `/path/segments`, `a=1&b=2`.
const SEPARATORS: &[char] = &[' ', '\t', '=', ':', '@', '/', '?', '&', '#', ',', ';', '"', '\''];

/// Hides a server's configured values (see the module documentation), and the
/// secrets it is given later (OAuth tokens), in every clone.
#[derive(Debug, Default, Clone)]
pub(crate) struct Redactor {
    configured: Index,
    /// Secrets learnt after the configuration (tokens as they are issued),
    /// shared by every clone of this redactor.
    late: Arc<Mutex<Index>>,
}

/// Values to hide, indexed for search.
#[derive(Debug, Default, Clone)]
struct Index {
    /// Values of `MIN_SECRET..FRAGMENT` bytes, found by search.
    short: Vec<String>,
    /// Every `FRAGMENT`-byte window of the longer values.
    windows: HashSet<[u8; FRAGMENT]>,
    indexed: usize,
}

impl Redactor {
    /// The redactor for `config`, expanding `${env:NAME}` with `lookup` (a
    /// variable that is not set expands to nothing here; starting the server
    /// reports it).
    pub(crate) fn for_server(config: &ServerConfig, lookup: impl Fn(&str) -> Option<String>) -> Redactor {
        let mut redactor = Index::default();
        let template = |redactor: &mut Index, template: &Template| {
            let variables = std::cell::RefCell::new(Vec::new());
            let expanded = template.expand(|name| {
                let value = lookup(name).unwrap_or_default();
                variables.borrow_mut().push(value.clone());
                Some(value)
            });
            for value in variables.into_inner() {
                redactor.add(&value);
            }
            // The literal text around the variables is configured too.
            if let Ok(expanded) = expanded {
                redactor.add(&expanded);
            }
        };
        match &config.transport {
            Transport::Stdio { args, env, .. } => {
                for arg in args {
                    redactor.add(arg);
                }
                for value in env.values() {
                    template(&mut redactor, value);
                }
            }
            Transport::Http { url, headers, oauth } => {
                redactor.add_url(url);
                for value in headers.values() {
                    template(&mut redactor, value);
                }
                if let Some(secret) = oauth.as_ref().and_then(|oauth| oauth.client_secret.as_ref()) {
                    template(&mut redactor, secret);
                }
            }
        }
        Redactor { configured: redactor, late: Arc::default() }
    }

    /// Hides `secret` too, from now on, in this redactor and every clone of it.
    pub(crate) fn add_secret(&self, secret: &str) {
        self.late.lock().expect("redactor lock").add(secret);
    }

    /// `text` with every configured value, and every [`FRAGMENT`]-byte piece of
    /// one, replaced by [`REDACTED`], and control characters escaped.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut hidden = vec![false; text.len()];
        self.configured.mark(text, &mut hidden);
        self.late.lock().expect("redactor lock").mark(text, &mut hidden);
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            // A character is hidden if any of its bytes is.
            if hidden[at..at + c.len_utf8()].contains(&true) {
                out.push_str(REDACTED);
                while let Some(&(next, c)) = chars.peek() {
                    if !hidden[next..next + c.len_utf8()].contains(&true) {
                        break;
                    }
                    chars.next();
                }
            } else {
                out.push(c);
            }
        }
        escape_controls(&out).into_owned()
    }
}

impl Index {
    /// Hides `value`, and each of its parts between [`SEPARATORS`].
    fn add(&mut self, value: &str) {
        self.add_one(value);
        if value.contains(SEPARATORS) {
            for part in value.split(SEPARATORS) {
                self.add_one(part);
            }
        }
    }

    /// Hides a URL, its userinfo, its path segments and its query string (and
    /// each of their parts), but not its scheme, host or port on their own.
    fn add_url(&mut self, url: &str) {
        self.add_one(url);
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        if let Some((userinfo, _host)) = authority.rsplit_once('@') {
            self.add(userinfo);
        }
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        self.add(path);
        self.add(query);
    }

    fn add_one(&mut self, value: &str) {
        let value = value.trim();
        if value.len() < MIN_SECRET || self.indexed + value.len() > MAX_INDEXED_BYTES {
            return;
        }
        self.indexed += value.len();
        if value.len() < FRAGMENT {
            if !self.short.iter().any(|known| known == value) {
                self.short.push(value.to_owned());
            }
            return;
        }
        for window in value.as_bytes().windows(FRAGMENT) {
            self.windows.insert(window.try_into().expect("windows of FRAGMENT bytes"));
        }
    }

    /// Marks in `hidden` the bytes of `text` that are values, or pieces of one.
    fn mark(&self, text: &str, hidden: &mut [bool]) {
        let bytes = text.as_bytes();
        if !self.windows.is_empty() {
            for (start, window) in bytes.windows(FRAGMENT).enumerate() {
                if self.windows.contains(<&[u8; FRAGMENT]>::try_from(window).expect("windows of FRAGMENT bytes")) {
                    hidden[start..start + FRAGMENT].fill(true);
                }
            }
        }
        for value in &self.short {
            for (start, found) in text.match_indices(value.as_str()) {
                hidden[start..start + found.len()].fill(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SluiceConfig;

    fn redactor(server: serde_json::Value, lookup: impl Fn(&str) -> Option<String>) -> Redactor {
        let config =
            SluiceConfig::parse(&serde_json::json!({ "mcpServers": { "s": server } }).to_string(), "t").unwrap();
        Redactor::for_server(&config.servers["s"], lookup)
    }

    #[test]
    fn a_secret_learnt_later_is_hidden_by_every_clone() {
        let original = redactor(serde_json::json!({ "url": "https://mcp.example.com/mcp" }), |_| None);
        let clone = original.clone();
        let token = "at-9f8e7d6c5b4a3210";
        assert_eq!(original.redact(&format!("bad {token}")), format!("bad {token}"));
        clone.add_secret(token);
        assert_eq!(original.redact(&format!("bad {token}!")), "bad [redacted]!");
        assert_eq!(original.redact(&format!("bad {}", &token[4..])), "bad [redacted]");
    }

    #[test]
    fn expanded_variables_are_hidden_whole_in_part_and_inside_longer_text() {
        let secret = "pg-Secr3t-Pa55word-0042";
        let redactor = redactor(
            serde_json::json!({ "command": "x", "env": { "DATABASE_URL": "postgres://app:${env:DB_PASSWORD}@db/prod" } }),
            |name| (name == "DB_PASSWORD").then(|| secret.to_owned()),
        );
        for quoted in [
            format!("could not connect to postgres://app:{secret}@db/prod"),
            format!("bad password {secret}!"),
            // A server quoting part of it.
            format!("password starts {}…", &secret[..12]),
            format!("password ends …{}", &secret[secret.len() - 9..]),
        ] {
            let redacted = redactor.redact(&quoted);
            assert!(redacted.contains(REDACTED), "{quoted} -> {redacted}");
            for piece in secret.as_bytes().windows(FRAGMENT) {
                assert!(!redacted.contains(std::str::from_utf8(piece).unwrap()), "{quoted} -> {redacted}");
            }
        }
        assert_eq!(redactor.redact("connection refused"), "connection refused");
        assert_eq!(redactor.redact("bell \u{7}"), r"bell \u{7}");
    }

    #[test]
    fn literal_values_and_arguments_are_hidden() {
        let redactor = redactor(
            serde_json::json!({ "command": "x", "args": ["--api-key=ak_live_1234", "serve"], "env": { "TOKEN": "lit3ral-t0ken" } }),
            |_| None,
        );
        assert_eq!(
            redactor.redact("bad key ak_live_1234 and token lit3ral-t0ken"),
            format!("bad key {REDACTED} and token {REDACTED}")
        );
    }

    #[test]
    fn url_credentials_path_tokens_queries_and_headers_are_hidden() {
        let redactor = redactor(
            serde_json::json!({
                "url": "https://user:hunter22@mcp.example.com/v1/tok_9f8e7d6c/mcp?key=qk-5566&mode=x",
                "headers": { "Authorization": "Bearer ${env:API_TOKEN}", "X-Extra": "xtra" },
            }),
            |name| (name == "API_TOKEN").then(|| "eyJhbGciOiJIUzI1NiJ9.payload".to_owned()),
        );
        let error = "error sending request for url (https://user:hunter22@mcp.example.com/v1/tok_9f8e7d6c/mcp?key=qk-5566&mode=x): 401 {\"echo\":\"Bearer eyJhbGciOiJIUzI1NiJ9.payload\",\"x\":\"xtra\"}";
        let redacted = redactor.redact(error);
        for secret in ["hunter22", "tok_9f8e7d6c", "qk-5566", "eyJhbGciOiJIUzI1NiJ9", "payload", "xtra"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(redacted.starts_with("error sending request for url ("), "{redacted}");
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let redactor = redactor(serde_json::json!({ "command": "x", "args": ["geheim-schlüssel"] }), |_| None);
        assert_eq!(redactor.redact("é geheim-schlüssel é"), format!("é {REDACTED} é"));
    }
}
