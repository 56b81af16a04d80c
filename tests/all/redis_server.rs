//! A `redis-server` of a test's or benchmark's own: on a Unix socket in a temporary directory (no port to
//! collide on, nothing off the machine), its data kept on disk (append-only; a stop syncs it) so a
//! restart finds what it had. `.ci/setup` installs Debian's `redis-server`.

// Shared by the integration tests and `benches/scale_out.rs`; each uses a part.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long Redis may take to answer after it is started.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// One `redis-server` process and its directory; killed when dropped.
pub struct RedisServer {
    child: Child,
    dir: tempfile::TempDir,
}

impl RedisServer {
    /// Starts Redis and waits (polling, with a deadline) until it answers PING.
    pub fn start() -> RedisServer {
        let dir = tempfile::tempdir().unwrap();
        let child = RedisServer::spawn(dir.path());
        let redis = RedisServer { child, dir };
        redis.wait_ready();
        redis
    }

    fn spawn(dir: &Path) -> Child {
        Command::new("redis-server")
            .args(["--port", "0", "--unixsocketperm", "700", "--appendonly", "yes", "--appendfsync", "everysec"])
            .args(["--save", "", "--daemonize", "no", "--loglevel", "warning"])
            .arg("--unixsocket")
            .arg(dir.join("redis.sock"))
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (.ci/setup installs it)")
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The URL `sluice serve --state` takes.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Sends one inline command and returns the raw reply (a simple string, or a bulk string's payload).
    fn command(&self, command: &str) -> std::io::Result<String> {
        let mut stream = UnixStream::connect(self.socket())?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(format!("{command}\r\n").as_bytes())?;
        let mut reader = BufReader::new(stream);
        let mut first = String::new();
        reader.read_line(&mut first)?;
        match first.strip_prefix('$') {
            Some(length) => {
                let length: usize = length.trim().parse().map_err(std::io::Error::other)?;
                let mut payload = vec![0; length];
                reader.read_exact(&mut payload)?;
                Ok(String::from_utf8_lossy(&payload).into_owned())
            }
            None => Ok(first.trim_end().to_owned()),
        }
    }

    /// Every key that would live forever (no TTL).
    pub fn keys_without_ttl(&self) -> Vec<String> {
        let mut stream = UnixStream::connect(self.socket()).expect("Redis answers");
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.write_all(b"KEYS *\r\n").unwrap();
        let mut reader = BufReader::new(stream);
        let line = |reader: &mut BufReader<UnixStream>| {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            line.trim_end().to_owned()
        };
        let count: usize = line(&mut reader).strip_prefix('*').and_then(|n| n.parse().ok()).expect("an array");
        let keys: Vec<String> = (0..count)
            .map(|_| {
                let _length = line(&mut reader);
                line(&mut reader)
            })
            .collect();
        keys.into_iter().filter(|key| self.command(&format!("PTTL {key}")).is_ok_and(|ttl| ttl == ":-1")).collect()
    }

    /// Whether Redis answers PING now.
    pub fn answers(&self) -> bool {
        self.command("PING").is_ok_and(|reply| reply == "+PONG")
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        while !self.answers() {
            assert!(Instant::now() < deadline, "redis-server did not answer PING within {READY_WITHIN:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Bytes of memory Redis uses for data and overhead (`INFO memory`'s `used_memory`).
    pub fn used_memory(&self) -> u64 {
        let info = self.command("INFO memory").expect("INFO answers");
        info.lines()
            .find_map(|line| line.strip_prefix("used_memory:"))
            .and_then(|bytes| bytes.trim().parse().ok())
            .unwrap_or_else(|| panic!("no used_memory in {info}"))
    }

    /// Stops Redis (SIGTERM: it syncs its data) and waits for it to exit.
    pub fn stop(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        self.child.wait().unwrap();
    }

    /// Starts it again on the same socket and data, and waits until it answers.
    pub fn restart(&mut self) {
        self.child = RedisServer::spawn(self.dir.path());
        self.wait_ready();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
