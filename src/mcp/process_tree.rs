//! A server's descendants, found through `/proc` and ended with it, even those that
//! left its process group (`setsid()`), and the subreaper that keeps orphans findable.
//!
//! Killing a server's process group ends what it spawned in that group, but a
//! child that called `setsid()` is in a group (and session) of its own. So when a
//! connection goes away, Sluice also walks the server's process tree (each
//! process's parent, from `/proc/<pid>/stat`) and kills every descendant. A
//! descendant whose parent exited first (a daemon that forked twice) is no
//! longer under the server; on Linux it is re-parented to the nearest *child
//! subreaper*, and a program that calls [`become_subreaper`] at startup (the CLI
//! does) is that subreaper: [`super::McpTools`] then ends, when it shuts down,
//! every child it adopted. Elsewhere than Linux these are no-ops and only the
//! process group is killed.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// One process, named by its pid and its start time, so that a pid reused by
/// an unrelated process after it exits is never killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Process {
    pid: u32,
    /// Clock ticks after boot (`/proc/<pid>/stat` field 22).
    started: u64,
}

/// Whether [`become_subreaper`] succeeded in this process.
static SUBREAPER: AtomicBool = AtomicBool::new(false);

/// Whether any server process was ever started here: until one is, nothing can
/// have been adopted, and [`kill_adopted`] need not read the whole process table.
static ANY_SERVER_STARTED: AtomicBool = AtomicBool::new(false);

/// The processes of servers that are up, which an adopted-children sweep spares.
static SERVERS: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// Makes this process a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): a
/// process whose parent exits is re-parented to it instead of to init, so a
/// server's descendants cannot escape by outliving their parent.
///
/// Call it once at startup, before any server starts, from a program whose
/// children outside its own process group are all MCP servers started by
/// [`super::McpTools`] (as in the CLI): [`super::McpTools::shutdown`] then also
/// kills every such child it did not start itself. Elsewhere than Linux it does nothing.
///
/// # Errors
///
/// The error of `prctl`, if the kernel refuses.
pub fn become_subreaper() -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        nix::sys::prctl::set_child_subreaper(true).map_err(std::io::Error::from)?;
        SUBREAPER.store(true, Ordering::Release);
    }
    Ok(())
}

/// Notes that a server process was started (whether or not its pid is known).
pub(super) fn note_server_started() {
    ANY_SERVER_STARTED.store(true, Ordering::Release);
}

/// Notes that `pid` is a server's process (spared by [`kill_adopted`]).
pub(super) fn register_server(pid: u32) {
    SERVERS.lock().expect("server list lock").get_or_insert_with(HashSet::new).insert(pid);
}

/// Notes that `pid` is no longer a live server's process.
pub(super) fn unregister_server(pid: u32) {
    if let Some(servers) = SERVERS.lock().expect("server list lock").as_mut() {
        servers.remove(&pid);
    }
}

/// The processes below `pid` (children, their children, …), now.
pub(super) fn descendants(pid: u32) -> Vec<Process> {
    let table = processes();
    let mut found = Vec::new();
    let mut parents = vec![pid];
    while let Some(parent) = parents.pop() {
        for entry in table.iter().filter(|entry| entry.parent == parent) {
            // A pid seen twice would be a cycle in a table read while processes come and go.
            if !found.iter().any(|p: &Process| p.pid == entry.process.pid) {
                found.push(entry.process);
                parents.push(entry.process.pid);
            }
        }
    }
    found
}

/// Kills each of `processes` that is still the process it was (same pid, same start time).
pub(super) fn kill(processes: &[Process]) {
    for process in processes {
        if stat(process.pid).is_some_and(|entry| entry.process == *process) {
            signal_kill(process.pid);
        }
    }
}

/// After [`become_subreaper`]: kills (and reaps) every child of this process that
/// is outside its process group and is not a live server's process: what
/// servers left behind and this process adopted. Does nothing otherwise.
pub(super) fn kill_adopted() {
    if !SUBREAPER.load(Ordering::Acquire) || !ANY_SERVER_STARTED.load(Ordering::Acquire) {
        return;
    }
    let this = std::process::id();
    let Some(own_group) = stat(this).map(|entry| entry.group) else { return };
    let servers = SERVERS.lock().expect("server list lock").clone().unwrap_or_default();
    let adopted: Vec<Process> = processes()
        .into_iter()
        .filter(|entry| entry.parent == this && entry.group != own_group && !servers.contains(&entry.process.pid))
        .map(|entry| entry.process)
        .collect();
    if adopted.is_empty() {
        return;
    }
    tracing::info!(count = adopted.len(), "ending processes MCP servers left behind");
    for process in &adopted {
        // Its own descendants first, which would otherwise be adopted in turn.
        kill(&descendants(process.pid));
    }
    kill(&adopted);
    reap(&adopted);
}

/// One line of the process table.
struct Entry {
    process: Process,
    parent: u32,
    group: u32,
}

/// Every process this user can see.
fn processes() -> Vec<Entry> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return Vec::new() };
    dir.flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse().ok()))
        .filter_map(stat)
        .collect()
}

/// `/proc/<pid>/stat`, or `None` if the process is gone or a zombie.
fn stat(pid: u32) -> Option<Entry> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(pid, &text)
}

/// Parses `pid (comm) state ppid pgrp session … starttime …`; the command name
/// may hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_stat(pid: u32, text: &str) -> Option<Entry> {
    let (_, fields) = text.rsplit_once(')')?;
    let fields: Vec<&str> = fields.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None;
    }
    let parent = fields.get(1)?.parse().ok()?;
    let group = fields.get(2)?.parse().ok()?;
    let started = fields.get(19)?.parse().ok()?;
    Some(Entry { process: Process { pid, started }, parent, group })
}

fn signal_kill(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

/// Collects the exit status of adopted children that have died, so they do not
/// linger as zombies; any still dying are reaped by whoever adopts them after us.
#[cfg_attr(not(target_os = "linux"), allow(unused_variables))]
fn reap(adopted: &[Process]) {
    #[cfg(target_os = "linux")]
    for process in adopted {
        if let Ok(pid) = i32::try_from(process.pid) {
            let _ =
                nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), Some(nix::sys::wait::WaitPidFlag::WNOHANG));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_command_name() {
        let line = "4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 120 0 0 0 1 0 0 0 20 0 1 0 987654 1000 100";
        let entry = parse_stat(4242, line).unwrap();
        assert_eq!((entry.parent, entry.group, entry.process.started), (17, 4242, 987654));
        assert!(parse_stat(1, "1 (zombie) Z 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_child_is_among_the_descendants_of_its_parent() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let found = descendants(std::process::id());
        assert!(found.iter().any(|p| p.pid == child.id()), "{found:?}");
        kill(&found.into_iter().filter(|p| p.pid == child.id()).collect::<Vec<_>>());
        assert!(!child.wait().unwrap().success());
    }
}
