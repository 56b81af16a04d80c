//! The native functions the prelude is given: starting host operations, collecting completions, output, the clock, randomness, exit.

use std::cell::RefCell;
use std::collections::{BTreeSet, VecDeque};
use std::io::Write;
use std::time::Instant;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Exception, Result, TypedArray};
use sluice_guest::raw;

/// A completed host operation.
pub struct Completion {
    pub handle: i32,
    pub status: i32,
    pub payload: Vec<u8>,
    /// A tool call's value read raw (`raw::take_value`): the payload is the
    /// value in this form ([`raw::VALUE_TEXT`] or [`raw::VALUE_JSON`]), not the
    /// `CallToolResult`; the status is `STATUS_OK`.
    pub value: Option<i32>,
}

#[derive(Default)]
struct RunState {
    /// Completions collected while making room, not yet given to JavaScript.
    ready: VecDeque<Completion>,
    /// Operations started and not yet collected.
    outstanding: usize,
    /// Handles of the tool calls among them, whose results `json.rs` may decode.
    calls: BTreeSet<i32>,
    /// xorshift128+ state behind `Math.random`, reseeded on every run.
    rng: [u64; 2],
    /// When this run started: the origin of [`now`].
    started: Option<Instant>,
}

thread_local! {
    static STATE: RefCell<RunState> = RefCell::new(RunState::default());
}

/// Seeds `Math.random` from the host's per-run randomness. A pre-initialised
/// heap would otherwise repeat the same numbers on every run.
pub fn reseed() {
    let mut seed = [0u64; 2];
    for word in &mut seed {
        *word = getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15) | 1;
    }
    STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.rng = seed;
        state.started = Some(Instant::now());
    });
}

/// `now()`: milliseconds since the run started, from the monotonic clock, for timers.
pub fn now() -> f64 {
    STATE.with(|state| {
        let started = *state.borrow_mut().started.get_or_insert_with(Instant::now);
        started.elapsed().as_secs_f64() * 1000.0
    })
}

/// `exit(code)`: ends the program at once with `code` (`process.exit`), output flushed.
pub fn exit(code: i32) {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// `start(kind, a, b, c)`: starts a host operation and returns its handle,
/// making room (collecting a completion) whenever the host is busy.
pub fn start<'js>(ctx: Ctx<'js>, kind: String, a: Opt<String>, b: Opt<String>, c: Opt<String>) -> Result<i32> {
    let (a, b, c) = (a.0.unwrap_or_default(), b.0.unwrap_or_default(), c.0.unwrap_or_default());
    loop {
        let handle = match kind.as_str() {
            "call" => raw::call_start(&a, &b, c.as_bytes()),
            "servers" => raw::servers_start(),
            "search" => raw::search_start(a.as_bytes()),
            "describe" => raw::describe_start(&a, &b),
            other => return Err(Exception::throw_message(&ctx, &format!("unknown operation {other}"))),
        };
        if handle >= 0 {
            STATE.with(|state| {
                let mut state = state.borrow_mut();
                state.outstanding += 1;
                if kind == "call" {
                    state.calls.insert(handle);
                }
            });
            return Ok(handle);
        }
        if handle != raw::BUSY {
            return Err(Exception::throw_message(&ctx, &format!("the host refused the operation (code {handle})")));
        }
        match collect() {
            Some(completion) => STATE.with(|state| state.borrow_mut().ready.push_back(completion)),
            None => return Err(Exception::throw_message(&ctx, "the host is busy but has nothing to wait for")),
        }
    }
}

/// Strips the types from `source`, a TypeScript module named `name`, on the
/// host (`strip_types_start`), and waits for the JavaScript. Completions of
/// other operations that arrive meanwhile are kept for the event loop. A
/// refusal (syntax the stripper cannot blank out, a module too large or too
/// deep, the run's budget of stripped modules spent) throws a `SyntaxError`.
pub fn strip_types(ctx: &Ctx<'_>, name: &str, source: &str) -> Result<String> {
    let handle = loop {
        let handle = raw::strip_types_start(name, source.as_bytes());
        if handle >= 0 {
            STATE.with(|state| state.borrow_mut().outstanding += 1);
            break handle;
        }
        if handle != raw::BUSY {
            return Err(Exception::throw_message(ctx, &format!("the host refused to strip {name} (code {handle})")));
        }
        match collect() {
            Some(completion) => STATE.with(|state| state.borrow_mut().ready.push_back(completion)),
            None => return Err(Exception::throw_message(ctx, "the host is busy but has nothing to wait for")),
        }
    };
    loop {
        let Some(completion) = collect() else {
            return Err(Exception::throw_message(ctx, &format!("the host lost the stripping of {name}")));
        };
        if completion.handle != handle {
            STATE.with(|state| state.borrow_mut().ready.push_back(completion));
            continue;
        }
        let Completion { status, payload, .. } = completion;
        if status == raw::STATUS_OK {
            return String::from_utf8(payload)
                .map_err(|_| Exception::throw_message(ctx, "the host's JavaScript is not UTF-8"));
        }
        let message = ctx
            .json_parse(payload)
            .ok()
            .and_then(|failure| failure.as_object().and_then(|failure| failure.get::<_, String>("message").ok()))
            .unwrap_or_else(|| format!("cannot strip the types of {name}"));
        return Err(Exception::throw_syntax(ctx, &message));
    }
}

/// Whether `handle` was a tool call's; asked once, as its completion is settled.
pub fn take_call(handle: i32) -> bool {
    STATE.with(|state| state.borrow_mut().calls.remove(&handle))
}

/// Waits for the host's next completion.
fn collect() -> Option<Completion> {
    read(raw::wait_any())
}

/// Reads the result of `handle`, which a wait just reported (a negative one:
/// nothing). A tool call's successful result is read as its value when the
/// host holds one (its text unescaped, no envelope around it).
fn read(handle: i32) -> Option<Completion> {
    if handle < 0 {
        return None;
    }
    let call = STATE.with(|state| {
        let mut state = state.borrow_mut();
        state.outstanding -= 1;
        state.calls.contains(&handle)
    });
    if call && let Some((form, payload)) = raw::take_value(handle) {
        return Some(Completion { handle, status: raw::STATUS_OK, payload, value: Some(form) });
    }
    let (status, payload) = raw::take_result(handle)?;
    Some(Completion { handle, status, payload, value: None })
}

/// Whether any host operation is outstanding or collected and not yet handed out.
pub fn operations_pending() -> bool {
    STATE.with(|state| {
        let state = state.borrow();
        state.outstanding > 0 || !state.ready.is_empty()
    })
}

/// The next completion if one arrives within `timeout_ms`, else `None`; with
/// nothing outstanding it simply waits that long (a timer is due then).
pub fn next_completion_within(timeout_ms: i32) -> Option<Completion> {
    match STATE.with(|state| state.borrow_mut().ready.pop_front()) {
        Some(completion) => Some(completion),
        None => read(raw::wait_any_timeout(timeout_ms)),
    }
}

/// The next completion for the event loop, or `None` when nothing is outstanding.
pub fn next_completion() -> Option<Completion> {
    let (ready, outstanding) = STATE.with(|state| {
        let mut state = state.borrow_mut();
        (state.ready.pop_front(), state.outstanding)
    });
    match ready {
        Some(completion) => Some(completion),
        None if outstanding > 0 => collect(),
        None => None,
    }
}

/// `write(fd, text)`: console output; 1 is stdout, anything else stderr.
pub fn write(fd: i32, text: String) {
    // Output past the host's cap is dropped by the host; a failed write has nowhere to be reported.
    let _ = if fd == 1 {
        std::io::stdout().write_all(text.as_bytes())
    } else {
        std::io::stderr().write_all(text.as_bytes())
    };
}

/// `encodeUtf8(text)`: the text's UTF-8 bytes, for `TextEncoder` (which makes it well-formed first).
pub fn encode_utf8<'js>(ctx: Ctx<'js>, text: String) -> Result<TypedArray<'js, u8>> {
    TypedArray::new(ctx, text.into_bytes())
}

/// `decodeUtf8(latin1, fatal)`: text from UTF-8 bytes, given one byte per character
/// (rquickjs reads a typed array's memory only through `unsafe`; `String.fromCharCode`
/// makes this string natively). Ill-formed parts become U+FFFD (the WHATWG decoder's
/// rule), or nothing (`undefined`) when `fatal`.
pub fn decode_utf8(latin1: String, fatal: bool) -> Option<String> {
    let bytes: Vec<u8> = latin1.chars().map(|c| c as u32 as u8).collect();
    if fatal { String::from_utf8(bytes).ok() } else { Some(String::from_utf8_lossy(&bytes).into_owned()) }
}

/// `random()`: `Math.random`, xorshift128+.
pub fn random() -> f64 {
    STATE.with(|state| {
        let rng = &mut state.borrow_mut().rng;
        let (mut s1, s0) = (rng[0], rng[1]);
        rng[0] = s0;
        s1 ^= s1 << 23;
        rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        (rng[1].wrapping_add(s0) >> 11) as f64 / (1u64 << 53) as f64
    })
}

/// `secureRandom32()`: a word from the host's secure random source, for `crypto.getRandomValues`.
pub fn secure_random_32() -> u32 {
    getrandom::u32().expect("the host provides random bytes")
}
