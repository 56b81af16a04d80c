//! Tool results as JavaScript values straight from their JSON bytes, without a JavaScript string or `JSON.parse` in between.
//!
//! A completion's payload is the JSON of an MCP `CallToolResult` (or of a
//! discovery answer). Today's path made it one JavaScript string, parsed it with
//! `JSON.parse`, and parsed a text block's JSON a second time: a 3.6 MB result
//! became two 3.6 MB strings and two parses. Here the bytes are read once and
//! the values are made through QuickJS's C API: keys become atoms once per
//! distinct key (a cache), arrays are made whole from their elements
//! (`JS_NewArrayFrom`), and objects are made as `JSON.parse` makes them (an
//! empty object, then `JS_DefinePropertyValue` per member, so duplicate keys,
//! `__proto__` and integer-like keys behave the same). A record's object is
//! made whole once it closes, from its final shape when that shape is alive
//! (`JS_SluiceNewPlainObject`, one of Sluice's additions to QuickJS in
//! `vendor/rquickjs-sys/quickjs/quickjs-sluice.c`), rather than grown key by
//! key. A tool call's single text block that is JSON is read
//! *inside* the envelope's string (through its escaping) into the program's
//! value, so the text is never a JavaScript string at all.
//!
//! The builder is exact or it declines: it accepts only standard JSON whose
//! strings are well-formed UTF-8 without lone surrogate escapes, nested at most
//! [`MAX_DEPTH`] deep; anything else (invalid JSON, deeper nesting, a lone
//! surrogate, a result it cannot recognise) goes the old way, through
//! QuickJS's own parser, so what a program sees never depends on which path
//! ran. It recurses nowhere (an explicit stack), so hostile nesting cannot
//! exhaust the guest's stack.
//!
//! This is, with `site.rs` and `heap.rs`, the interpreter's only `unsafe`:
//! QuickJS's C API works on raw, reference-counted `JSValue`s, and rquickjs
//! has no safe way to define a property as `JSON.parse` does, to make an array
//! from its elements, or to call Sluice's additions.

#![allow(unsafe_code)]

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use rquickjs::{Ctx, Value, qjs};

/// The deepest nesting a result may have. QuickJS's own parser recurses once
/// per level and, in the guest, overflows the wasm stack (a trap, not a
/// `RangeError`) somewhere past 20,000 levels, so nothing deeper than this
/// ever reaches it: a text block nested deeper is the program's as text (what
/// `JSON.parse` throwing would have given), an envelope nested deeper is an
/// unreadable result. Up to this depth both paths give the same values.
pub const MAX_DEPTH: usize = 10_000;
/// Keys up to this long, and this many distinct ones, are kept as atoms for the whole parse.
const CACHED_KEY_BYTES: usize = 64;
const CACHED_KEYS: usize = 4096;
/// String values up to this long (plain ASCII) are made from cached atoms, shared.
const SHARED_STRING_BYTES: usize = 16;

type JsValue = qjs::JSValue;
type JsAtom = qjs::JSAtom;

const UNDEFINED: JsValue = qjs::JS_MKVAL(qjs::JS_TAG_UNDEFINED, 0);
const NULL: JsValue = qjs::JS_MKVAL(qjs::JS_TAG_NULL, 0);
const TRUE: JsValue = qjs::JS_MKVAL(qjs::JS_TAG_BOOL, 1);
const FALSE: JsValue = qjs::JS_MKVAL(qjs::JS_TAG_BOOL, 0);

/// How `lib.settle` is to read the payload it is given (`core.js` has the same numbers).
#[derive(Clone, Copy)]
#[repr(i32)]
pub enum Form {
    /// The payload is the result's JSON text (the builder declined): parse it.
    Text = 0,
    /// The payload is the result, materialised.
    Parsed = 1,
    /// The payload is already the program's value: a tool call's text block that was JSON.
    Value = 2,
    /// The result cannot be read (nested deeper than [`MAX_DEPTH`], or structured
    /// content QuickJS cannot parse): the payload says why.
    Unreadable = 3,
}

/// The payload for `lib.settle`, and how to read it. `tool_call` says whether
/// the completion is a tool call's successful result (whose text block may be
/// decoded here, as `core.js`'s `valueOf` would).
pub fn settle_payload<'js>(ctx: &Ctx<'js>, payload: Vec<u8>, tool_call: bool) -> (Value<'js>, Form) {
    let raw = ctx.as_raw().as_ptr();
    let (built, deep) = with_collection_deferred(raw, payload.len(), || {
        let mut builder = Builder::new(raw, &payload, tool_call);
        let built = builder.document::<false>().and_then(|value| builder.finish(value));
        (built, builder.too_deep)
    });
    match built {
        // SAFETY: the builder returns a value it owns, made in this context.
        Ok((value, form)) => (unsafe { Value::from_raw(ctx.clone(), value) }, form),
        Err(Declined) if deep || too_deep::<false>(&payload) => (too_deep_reason(ctx), Form::Unreadable),
        Err(Declined) => (string(ctx, payload), Form::Text),
    }
}

/// A tool call's value, read raw (`raw::take_value`): the text of its one text
/// block, or (`json`) its structured content's JSON. For `lib.settle`, always
/// the program's value, as `core.js`'s `valueOf` makes it from the whole result:
/// a text the builder declines goes to QuickJS's own `JSON.parse` (here, not in
/// `core.js`: a larger prelude moved the snapshot's objects so that a one-call
/// run wrote pages in more ranges than the pool's reset keeps, 9 more page
/// faults a run), and is the text itself when it is not JSON or is nested
/// deeper than [`MAX_DEPTH`]; structured content that does not parse, or is
/// that deep, is unreadable.
pub fn settle_value<'js>(ctx: &Ctx<'js>, payload: Vec<u8>, json: bool) -> (Value<'js>, Form) {
    let raw = ctx.as_raw().as_ptr();
    let (built, deep) = with_collection_deferred(raw, payload.len(), || {
        let mut builder = Builder::new(raw, &payload, false);
        let built = builder.document::<false>();
        (built, builder.too_deep)
    });
    match built {
        // SAFETY: the builder returns a value it owns, made in this context.
        Ok(value) => (unsafe { Value::from_raw(ctx.clone(), value) }, Form::Value),
        Err(Declined) => {
            let deep = deep || too_deep::<false>(&payload);
            if json && deep {
                return (too_deep_reason(ctx), Form::Unreadable);
            }
            if !deep {
                match ctx.json_parse(payload.clone()) {
                    Ok(value) => return (value, Form::Value),
                    Err(_) => {
                        let error = ctx.catch();
                        if json {
                            let message = error
                                .as_object()
                                .and_then(|error| error.get::<_, String>("message").ok())
                                .unwrap_or_else(|| "not JSON".to_owned());
                            return (string(ctx, message.into_bytes()), Form::Unreadable);
                        }
                    }
                }
            }
            (string(ctx, payload), Form::Value)
        }
    }
}

/// Runs a build of `input_len` bytes with QuickJS's collection deferred.
/// Everything the builder makes stays reachable until it is done, so a
/// collection meanwhile would walk the growing heap and free nothing of it (a
/// 3.6 MB result crossed the threshold four times).
///
/// A small input's build leaves the threshold as it was, so QuickJS's own
/// policy decides the next collection. A large one
/// ([`COLLECT_BEFORE_INPUT`]) collects first instead, while the heap is
/// still small, and then leaves the threshold raised by what the build is
/// estimated to have added, with QuickJS's usual headroom
/// ([`HEADROOM_PER_INPUT_BYTE`]): otherwise the
/// program's first allocation after the build collected, walking every
/// object just built to free none of them (~8% of a 10,000-record run's
/// samples, 0.8% with the collection moved before it). The collection must
/// happen at all: it writes to every object of the snapshot, which makes
/// the run's written pages one range there; without it they lie in more
/// ranges than the pool's reset keeps resident, and a large run's heap was
/// given back to the kernel and faulted in again every run (~2,500 faults).
/// The collection before is never longer than the one after would have
/// been: it walks the same heap without the build.
fn with_collection_deferred<T>(ctx: *mut qjs::JSContext, input_len: usize, build: impl FnOnce() -> T) -> T {
    // SAFETY: `ctx` is a live context; its runtime outlives the call.
    let runtime = unsafe { qjs::JS_GetRuntime(ctx) };
    // SAFETY: reading and setting a threshold of the live runtime.
    let threshold = unsafe { qjs::JS_GetGCThreshold(runtime) };
    let large = input_len >= COLLECT_BEFORE_INPUT;
    if large {
        // SAFETY: collecting the live runtime between calls into it; the builder holds nothing yet.
        unsafe { qjs::JS_RunGC(runtime) };
    }
    // SAFETY: as above.
    unsafe { qjs::JS_SetGCThreshold(runtime, usize::MAX as _) };
    let built = build();
    let after = if large {
        (threshold as usize).saturating_add(input_len.saturating_mul(HEADROOM_PER_INPUT_BYTE)) as _
    } else {
        threshold
    };
    // SAFETY: as above.
    unsafe { qjs::JS_SetGCThreshold(runtime, after) };
    built
}

/// Inputs at least this long collect before their build, not after it ([`with_collection_deferred`]).
const COLLECT_BEFORE_INPUT: usize = 1 << 20;
/// How far a large build raises the collection threshold per byte of its
/// input: its objects took about 1.5 bytes of heap per byte of JSON (10,000
/// records, 3.6 MB, grew the heap by ~5.3 MB), and after a collection QuickJS
/// leaves half the heap again before the next.
const HEADROOM_PER_INPUT_BYTE: usize = 2;

/// Why a result cannot be read, for `lib.settle`.
fn too_deep_reason<'js>(ctx: &Ctx<'js>) -> Value<'js> {
    let reason = format!("it is nested more than {MAX_DEPTH} levels deep");
    rquickjs::String::from_str(ctx.clone(), &reason)
        .map_or_else(|_| Value::new_undefined(ctx.clone()), rquickjs::String::into_value)
}

/// The payload as a JavaScript string (bytes that are not UTF-8 replaced).
fn string<'js>(ctx: &Ctx<'js>, payload: Vec<u8>) -> Value<'js> {
    let text =
        String::from_utf8(payload).unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
    rquickjs::String::from_str(ctx.clone(), &text)
        .map_or_else(|_| Value::new_undefined(ctx.clone()), rquickjs::String::into_value)
}

/// The builder gave up: the input is not JSON it makes exactly (or QuickJS ran
/// out of memory). The caller falls back to QuickJS's parser.
#[derive(Debug)]
struct Declined;
type Step<T> = Result<T, Declined>;

/// Keys the envelope's shape is recognised by.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Content,
    Structured,
    Type,
    Text,
    Other,
    /// Written with escapes: the shape is not recognised from it.
    Escaped,
}

#[derive(Clone, Copy)]
struct Key {
    atom: JsAtom,
    /// Not in the cache: freed once used.
    owned: bool,
    tag: Tag,
    /// Of the object, kept here (in the key's padding, so a frame stays 16
    /// bytes): where its keys start in [`Builder::keys`] (saturating).
    start: u8,
}

impl Key {
    fn new(atom: JsAtom, owned: bool, tag: Tag) -> Self {
        Key { atom, owned, tag, start: 0 }
    }
}

enum Frame {
    Array {
        start: usize,
    },
    /// An object made as its members come (the envelope's, whose blocks
    /// [`Builder::speculate`] holds on to, and a record that a key turned
    /// [`Frame::Record`] into one).
    Object {
        object: JsValue,
        key: Key,
    },
    /// An object made whole when it closes, from its members' values (from
    /// `start` in [`Builder::values`]) and keys (from `key.start` in
    /// [`Builder::keys`], every one a cached atom), by
    /// `JS_SluiceNewPlainObject` (see [`Builder::record`]).
    Record {
        start: u32,
        key: Key,
    },
}

/// Recent records by depth, whose shape the next record at that depth likely shares.
const LIKES: usize = 8;

// Sluice's additions to QuickJS (`vendor/rquickjs-sys/quickjs/quickjs-sluice.c`).
unsafe extern "C" {
    /// An object with these keys and values, as `JS_NewObject` and one
    /// `JS_DefinePropertyValue` per member (`JS_PROP_C_W_E`) make it; its
    /// shape from `like` if that has exactly these keys, or found among
    /// live shapes (then `shared` is set to 1). Takes the values, also when
    /// it fails.
    fn JS_SluiceNewPlainObject(
        ctx: *mut qjs::JSContext,
        like: JsValue,
        count: std::ffi::c_int,
        atoms: *const JsAtom,
        values: *mut JsValue,
        shared: *mut std::ffi::c_int,
    ) -> JsValue;
    /// A string of ASCII bytes, as `JS_NewStringLen` makes it.
    fn JS_SluiceNewAsciiString(ctx: *mut qjs::JSContext, buf: *const std::ffi::c_char, len: usize) -> JsValue;
}

/// What the envelope of a tool call's result looked like, to decide whether
/// its text block is the program's value (`valueOf` in `core.js`).
#[derive(Default)]
struct Envelope {
    /// A key there written with escapes: the shape is not judged.
    unusual: bool,
    content_keys: u32,
    structured_keys: u32,
    content_len: Option<usize>,
    type_keys: u32,
    type_is_text: bool,
    text_keys: u32,
    speculation: Option<Speculation>,
}

/// The first block's text, read as JSON where it stood.
struct Speculation {
    value: JsValue,
    /// The block (a reference of its own), whose `text` is undefined meanwhile.
    block: JsValue,
    /// The text was nested too deep to be read: `value` is the text itself.
    deep: bool,
    /// The text's escaped bytes in the payload.
    span: (usize, usize),
    /// A later `text` key replaced the placeholder.
    overwritten: bool,
}

/// A string as the input holds it.
enum Scanned {
    /// Bytes `start..end` of the input, without escapes.
    Raw { start: usize, end: usize, ascii: bool },
    /// Decoded into the scratch buffer (UTF-8).
    Decoded { ascii: bool },
}

/// The caches' hash: a multiply-xor over eight bytes at a time, seeded per
/// parse (so a server cannot choose keys that all collide) and finished with
/// splitmix64's mixer (keys differing only in later bytes, `user1`, `user2`,
/// would otherwise share their low bits, and so their buckets).
#[derive(Clone, Copy)]
struct Seeded(u64);

impl BuildHasher for Seeded {
    type Hasher = FastHash;
    fn build_hasher(&self) -> FastHash {
        FastHash(self.0)
    }
}

struct FastHash(u64);

impl Hasher for FastHash {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

/// Objects a build may make to keep key sequences' shapes alive ([`Builder::pin_shapes`]).
const MAX_HOLDERS: usize = 1024;
/// Keys of open objects [`Builder::keys`] keeps.
const KEYS: usize = 64;
/// Records inside records that [`Builder::record_members`] reads by calling
/// itself; deeper ones are the general loop's, which does not recurse.
const INLINE_NESTING: usize = 4;

/// Slots of the short strings' table ([`Builder::short`]), a power of two.
const SHORT_SLOTS: usize = 2048;
/// Strings up to this long are kept in [`Builder::short`] by their bytes.
const SHORT_BYTES: usize = 16;
/// Keys per object [`Builder::expected`] remembers.
const EXPECTED_KEYS: usize = 16;
/// Inputs from this long get a [`Builder::short`] table (smaller ones, such as
/// a one-call run's result, would only write more pages of memory for it).
const SHORT_TABLE_INPUT: usize = 16 << 10;

/// A cached atom, by its string's bytes ([`short_words`]): up to 16 bytes,
/// all of them in the two words, so a match needs no comparison of bytes.
#[derive(Clone, Copy, Default)]
struct ShortSlot {
    lo: u64,
    hi: u64,
    /// 0: empty.
    len: u32,
    atom: JsAtom,
}

/// Where [`Builder::expected`] keeps the key at `place` in an object `depth`
/// frames deep, if it keeps one there.
#[inline]
fn expected_index(depth: usize, place: usize) -> Option<usize> {
    (place < EXPECTED_KEYS).then(|| depth % LIKES * EXPECTED_KEYS + place)
}

/// The bytes `start..start + len` of `input` (`len` at most [`SHORT_BYTES`])
/// as two little-endian words, zero past the end.
#[inline]
fn short_words(input: &[u8], start: usize, len: usize) -> (u64, u64) {
    let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().expect("eight bytes"));
    let (lo, hi) = match input.get(start..start + 16) {
        Some(chunk) => (word(&chunk[..8]), word(&chunk[8..])),
        None => {
            let mut padded = [0u8; 16];
            padded[..len].copy_from_slice(&input[start..start + len]);
            (word(&padded[..8]), word(&padded[8..]))
        }
    };
    let keep = |bits: usize| if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
    (lo & keep(8 * len), hi & keep((8 * len).saturating_sub(64)))
}

struct Builder<'a> {
    ctx: *mut qjs::JSContext,
    input: &'a [u8],
    pos: usize,
    frames: Vec<Frame>,
    /// Elements of the open arrays, owned until their array is made.
    values: Vec<JsValue>,
    atoms: HashMap<&'a [u8], JsAtom, Seeded>,
    /// Short plain atoms of [`Builder::atoms`] again, found by their bytes
    /// without hashing or comparing them (a direct-mapped table; a collision
    /// replaces a slot, and a miss asks `atoms`). Records repeat their keys
    /// and many of their values (`"state": "open"`): the cache's hashing and
    /// comparisons took a tenth of a 10,000-record build. Empty for small inputs.
    short: Vec<ShortSlot>,
    /// The short keys of the last object at each depth (modulo [`LIKES`]), by
    /// position (up to [`EXPECTED_KEYS`]): a record's keys are most often its
    /// predecessor's, and are then recognised by comparing two words and the
    /// closing quote, without scanning or looking them up. Empty for small
    /// inputs, as [`Builder::short`] is.
    expected: Vec<ShortSlot>,
    /// The keys of the open objects, in order (see [`Frame::Object`]); past
    /// [`KEYS`] they are counted, not kept. Inline, not a `Vec`: a small run's
    /// one more heap allocation landed on a page of the snapshot it would not
    /// otherwise write, and past 32 written ranges the pool's reset returns
    /// the rest of memory to the kernel (a one-call run took 25% longer).
    keys: [JsAtom; KEYS],
    keys_len: usize,
    /// Objects that hold the shapes of new key sequences' prefixes (see [`Builder::pin_shapes`]).
    holders: Vec<JsValue>,
    /// The last record made at each depth (modulo [`LIKES`]), a reference of the builder's.
    likes: [JsValue; LIKES],
    scratch: Vec<u8>,
    envelope: Option<Envelope>,
    /// The input went deeper than [`MAX_DEPTH`].
    too_deep: bool,
}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        // SAFETY: every value and atom here is owned by the builder and was made in `ctx`.
        unsafe {
            for value in self.values.drain(..) {
                qjs::JS_FreeValue(self.ctx, value);
            }
            for frame in self.frames.drain(..) {
                if let Frame::Object { object, key, .. } = frame {
                    qjs::JS_FreeValue(self.ctx, object);
                    if key.owned {
                        qjs::JS_FreeAtom(self.ctx, key.atom);
                    }
                }
            }
            for holder in self.holders.drain(..) {
                qjs::JS_FreeValue(self.ctx, holder);
            }
            for like in self.likes {
                qjs::JS_FreeValue(self.ctx, like);
            }
            for (_, atom) in self.atoms.drain() {
                qjs::JS_FreeAtom(self.ctx, atom);
            }
            if let Some(Speculation { value, block, .. }) = self.envelope.as_mut().and_then(|e| e.speculation.take()) {
                qjs::JS_FreeValue(self.ctx, value);
                qjs::JS_FreeValue(self.ctx, block);
            }
        }
    }
}

/// Whether any byte of `word` is `"`, `\` or below 0x20: where a string's plain run ends.
#[inline]
fn stops(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote | backslash | control
}

impl<'a> Builder<'a> {
    fn new(ctx: *mut qjs::JSContext, input: &'a [u8], track_envelope: bool) -> Self {
        Builder {
            ctx,
            input,
            pos: 0,
            frames: Vec::new(),
            values: Vec::new(),
            atoms: HashMap::with_hasher(Seeded(getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15))),
            short: if input.len() >= SHORT_TABLE_INPUT { vec![ShortSlot::default(); SHORT_SLOTS] } else { Vec::new() },
            expected: if input.len() >= SHORT_TABLE_INPUT {
                vec![ShortSlot::default(); LIKES * EXPECTED_KEYS]
            } else {
                Vec::new()
            },
            keys: [0; KEYS],
            keys_len: 0,
            holders: Vec::new(),
            likes: [UNDEFINED; LIKES],
            scratch: Vec::new(),
            envelope: track_envelope.then(Envelope::default),
            too_deep: false,
        }
    }

    #[inline]
    fn peek(&self) -> u8 {
        self.input.get(self.pos).copied().unwrap_or(0)
    }

    #[inline]
    fn at(&self, offset: usize) -> u8 {
        self.input.get(self.pos + offset).copied().unwrap_or(0)
    }

    /// Skips whitespace. Inside a string (`NESTED`), the text's newlines, tabs
    /// and carriage returns are the escapes `\n`, `\t`, `\r`.
    #[inline]
    fn skip_whitespace<const NESTED: bool>(&mut self) {
        loop {
            match self.peek() {
                b' ' => self.pos += 1,
                b'\t' | b'\n' | b'\r' if !NESTED => self.pos += 1,
                b'\\' if NESTED && matches!(self.at(1), b'n' | b't' | b'r') => self.pos += 2,
                _ => return,
            }
        }
    }

    /// Consumes a string's opening quote (`\"` inside a string), or declines.
    #[inline]
    fn open_quote<const NESTED: bool>(&mut self) -> Step<()> {
        if NESTED {
            if self.peek() == b'\\' && self.at(1) == b'"' {
                self.pos += 2;
                return Ok(());
            }
        } else if self.peek() == b'"' {
            self.pos += 1;
            return Ok(());
        }
        Err(Declined)
    }

    /// One whole document: a value and nothing but whitespace after it (inside
    /// a string: up to the string's closing quote, where it stops).
    fn document<const NESTED: bool>(&mut self) -> Step<JsValue> {
        let value = self.value::<NESTED>()?;
        self.skip_whitespace::<NESTED>();
        let ended = if NESTED { self.peek() == b'"' } else { self.pos == self.input.len() };
        if !ended {
            // SAFETY: `value` is owned here and goes nowhere else.
            unsafe { qjs::JS_FreeValue(self.ctx, value) };
            return Err(Declined);
        }
        Ok(value)
    }

    /// Parses values until the outermost one is complete.
    fn value<const NESTED: bool>(&mut self) -> Step<JsValue> {
        'value: loop {
            self.skip_whitespace::<NESTED>();
            // Every array and object counts, empty ones too, as QuickJS's recursion does.
            if matches!(self.peek(), b'[' | b'{') && self.frames.len() >= MAX_DEPTH {
                self.too_deep = true;
                return Err(Declined);
            }
            let mut value = match self.peek() {
                b'{' => {
                    self.pos += 1;
                    self.skip_whitespace::<NESTED>();
                    if self.peek() == b'}' {
                        self.pos += 1;
                        // SAFETY: a new object in the builder's context, owned by the builder.
                        self.check(unsafe { qjs::JS_NewObject(self.ctx) })?
                    } else {
                        let (start, key) = self.opening_object()?;
                        // The envelope's own objects (down to a content block, which
                        // `speculate` holds on to) are made as they come, and so is an
                        // object whose keys `keys` would not keep.
                        if (self.envelope.is_some() && self.frames.len() <= 2) || self.keys_len >= KEYS {
                            // SAFETY: a new object in the builder's context, owned by the builder.
                            let object = self.check(unsafe { qjs::JS_NewObject(self.ctx) })?;
                            self.frames.push(Frame::Object { object, key });
                            self.member_key::<NESTED>()?;
                            continue 'value;
                        }
                        self.frames.push(Frame::Record { start, key });
                        if NESTED {
                            self.member_key::<NESTED>()?;
                            continue 'value;
                        }
                        match self.record_members(0)? {
                            Some(record) => record,
                            None => continue 'value,
                        }
                    }
                }
                b'[' => {
                    self.pos += 1;
                    self.skip_whitespace::<NESTED>();
                    if self.peek() == b']' {
                        self.pos += 1;
                        // SAFETY: a new array in the builder's context, owned by the builder.
                        self.check(unsafe { qjs::JS_NewArray(self.ctx) })?
                    } else {
                        self.frames.push(Frame::Array { start: self.values.len() });
                        continue 'value;
                    }
                }
                b'"' if !NESTED => {
                    if self.speculating() {
                        self.speculate()?
                    } else {
                        self.pos += 1;
                        self.string_value::<NESTED>()?
                    }
                }
                b'\\' if NESTED => {
                    self.open_quote::<NESTED>()?;
                    self.string_value::<NESTED>()?
                }
                b'-' | b'0'..=b'9' => self.number()?,
                b't' => self.literal(b"true", TRUE)?,
                b'f' => self.literal(b"false", FALSE)?,
                b'n' => self.literal(b"null", NULL)?,
                _ => return Err(Declined),
            };
            // `value` is complete: put it in its container, closing those that end here.
            loop {
                let Some(frame) = self.frames.last_mut() else { return Ok(value) };
                match frame {
                    Frame::Array { start } => {
                        let start = *start;
                        self.values.push(value);
                        self.skip_whitespace::<NESTED>();
                        match self.peek() {
                            b',' => {
                                self.pos += 1;
                                continue 'value;
                            }
                            b']' => {
                                self.pos += 1;
                                self.frames.pop();
                                value = self.array(start)?;
                            }
                            _ => return Err(Declined),
                        }
                    }
                    Frame::Record { .. } | Frame::Object { .. } => {
                        let record = matches!(frame, Frame::Record { .. });
                        if let Frame::Object { object, key } = frame {
                            let (object, atom) = (*object, key.atom);
                            // SAFETY: `object` is the frame's, `value` is owned and is consumed.
                            let defined = unsafe {
                                qjs::JS_DefinePropertyValue(self.ctx, object, atom, value, qjs::JS_PROP_C_W_E as i32)
                            };
                            self.release_key();
                            if defined < 0 {
                                self.clear_exception();
                                return Err(Declined);
                            }
                        } else {
                            self.values.push(value);
                        }
                        self.skip_whitespace::<NESTED>();
                        match self.peek() {
                            b',' => {
                                self.pos += 1;
                                if !NESTED && record {
                                    match self.record_members(0)? {
                                        Some(record) => {
                                            value = record;
                                            continue;
                                        }
                                        None => continue 'value,
                                    }
                                }
                                self.member_key::<NESTED>()?;
                                continue 'value;
                            }
                            b'}' => {
                                self.pos += 1;
                                value = match self.frames.pop() {
                                    Some(Frame::Record { start, key }) => self.record(start as usize, key)?,
                                    Some(Frame::Object { object, key }) => {
                                        self.keys_len = usize::from(key.start);
                                        object
                                    }
                                    _ => unreachable!("the frame matched above"),
                                };
                            }
                            _ => return Err(Declined),
                        }
                    }
                }
            }
        }
    }

    /// Makes the record that closed, from its members (`start` in
    /// [`Builder::values`], `key.start` in [`Builder::keys`]), with the shape
    /// of the last record at its depth when the keys are the same.
    fn record(&mut self, start: usize, key: Key) -> Step<JsValue> {
        let keys = usize::from(key.start);
        debug_assert_eq!(self.values.len() - start, self.keys_len - keys, "a value per key");
        let depth = self.frames.len() % LIKES;
        let (object, shared) = self.plain_object(self.likes[depth], start, keys)?;
        if !shared {
            // A key sequence not seen (alive) before: keep its shapes for the next records.
            self.pin_shapes(keys);
        }
        self.keys_len = keys;
        // SAFETY: the previous like is the builder's reference; the new one is taken for it.
        unsafe {
            qjs::JS_FreeValue(self.ctx, self.likes[depth]);
            self.likes[depth] = qjs::JS_DupValue(self.ctx, object);
        }
        Ok(object)
    }

    /// The object of the values from `start` in [`Builder::values`] (taken
    /// from there) under the keys from `keys` in [`Builder::keys`], with
    /// `like`'s shape if it fits; and whether its shape was an existing one.
    #[inline(always)]
    fn plain_object(&mut self, like: JsValue, start: usize, keys: usize) -> Step<(JsValue, bool)> {
        let count = self.values.len() - start;
        debug_assert!(keys + count <= KEYS, "a record's keys are all kept");
        let mut shared: std::ffi::c_int = 0;
        // SAFETY: the values are owned and the call takes them (also when it
        // fails); the atoms are the cache's, each the key of its value.
        let object = unsafe {
            JS_SluiceNewPlainObject(
                self.ctx,
                like,
                count as std::ffi::c_int,
                self.keys[keys..].as_ptr(),
                self.values.as_mut_ptr().add(start),
                &mut shared,
            )
        };
        // SAFETY: the values now belong to the object (or were freed): forget them here.
        unsafe { self.values.set_len(start) };
        Ok((self.check(object)?, shared != 0))
    }

    /// Turns the open record into an object made as its members come: its
    /// newest key is not a cached atom (it is freed once defined), or the
    /// open objects' keys are more than [`Builder::keys`] keeps.
    fn materialize(&mut self) -> Step<()> {
        let Some(&Frame::Record { start, key: frame_key }) = self.frames.last() else { return Ok(()) };
        // The newest key has no value yet, and may be past what `keys` keeps.
        let (object, _) = self.plain_object(UNDEFINED, start as usize, usize::from(frame_key.start))?;
        if let Some(last) = self.frames.last_mut() {
            *last = Frame::Object { object, key: frame_key };
        }
        Ok(())
    }

    /// Keeps alive the shapes of every prefix of a new key sequence (from
    /// `start` in [`Builder::keys`]), held by objects of the builder's. QuickJS
    /// finds a shape for an added property among live shapes only; a record's
    /// intermediate shapes die as it grows past them, so each later record of
    /// the same keys cloned a shape and rebuilt it key by key (the shape work
    /// was a tenth of a 10,000-record build). With the prefixes held, each
    /// property added takes an existing shape. The holders are made as records
    /// are (same atoms, same flags, `undefined` values), so they change no
    /// shape a program sees, and are freed with the builder. Bounded by
    /// [`MAX_HOLDERS`] per build.
    fn pin_shapes(&mut self, start: usize) {
        let count = self.keys_len.saturating_sub(start);
        if count < 2
            || self.keys_len > KEYS
            || self.holders.len() + count > MAX_HOLDERS
            || self.keys[start..self.keys_len].contains(&0)
        {
            return;
        }
        for end in start + 1..self.keys_len {
            // SAFETY: a new object, owned by the builder until it is dropped.
            let holder = unsafe { qjs::JS_NewObject(self.ctx) };
            let Ok(holder) = self.check(holder) else { return };
            self.holders.push(holder);
            for &atom in &self.keys[start..end] {
                // SAFETY: `holder` is the builder's; the atom is the cache's, which QuickJS duplicates for the shape.
                let defined = unsafe {
                    qjs::JS_DefinePropertyValue(self.ctx, holder, atom, UNDEFINED, qjs::JS_PROP_C_W_E as i32)
                };
                if defined < 0 {
                    self.clear_exception();
                    return;
                }
            }
        }
    }

    /// Makes the array of the elements from `start` on.
    fn array(&mut self, start: usize) -> Step<JsValue> {
        let count = self.values.len() - start;
        if let Some(envelope) = &mut self.envelope
            && self.frames.len() == 1
            && matches!(&self.frames[0], Frame::Object { key, .. } if key.tag == Tag::Content)
        {
            envelope.content_len = Some(count);
        }
        let count = i32::try_from(count).map_err(|_| Declined)?;
        // SAFETY: the elements are owned; `JS_NewArrayFrom` takes them, also when it fails.
        let array = unsafe { qjs::JS_NewArrayFrom(self.ctx, count, self.values.as_ptr().add(start)) };
        // SAFETY: the elements now belong to the array (or were freed): forget them here.
        unsafe { self.values.set_len(start) };
        self.check(array)
    }

    /// Frees the current object frame's key once its value is defined.
    fn release_key(&mut self) {
        if let Some(Frame::Object { key, .. }) = self.frames.last_mut()
            && key.owned
        {
            // SAFETY: an owned key's atom is the builder's to free, once.
            unsafe { qjs::JS_FreeAtom(self.ctx, key.atom) };
            key.owned = false;
        }
    }

    /// Reads the open record's members (from just before a key) while each
    /// key is the one the last record at this depth had at its place
    /// ([`Builder::expected`]) and each value is a scalar, an array of
    /// scalars, or a record read the same way ([`Builder::member_value`]):
    /// most of a list of records, read without the general loop's dispatch
    /// and frame matching per token (those were a third of a 10,000-record
    /// build's own time). Returns the record if it closed. Otherwise `None`,
    /// positioned as the general loop continues, with the frames it would
    /// have: after the key and its colon, or inside a nested array or record
    /// that holds something else, or after a key read by
    /// [`Builder::member_key`] when the key was not the expected one.
    /// `nest`: how many records this call is inside of, itself called by
    /// this (its recursion is bounded by [`INLINE_NESTING`], the general
    /// loop's depth is not).
    fn record_members(&mut self, nest: usize) -> Step<Option<JsValue>> {
        let Some(&Frame::Record { start, key: frame_key }) = self.frames.last() else {
            unreachable!("called with a record open")
        };
        let first = usize::from(frame_key.start);
        let (depth, expects) = (self.frames.len(), self.expects_keys());
        loop {
            self.skip_whitespace::<false>();
            let expected = match expected_index(depth, self.keys_len - first) {
                Some(index) if expects && self.keys_len < KEYS => Some(self.expected[index]),
                _ => None,
            };
            let at = self.pos + 1;
            let Some(slot) = expected.filter(|slot| self.peek() == b'"' && self.is_expected_key(at, slot)) else {
                self.member_key::<false>()?;
                return Ok(None);
            };
            self.pos = at + slot.len as usize + 1;
            self.keys[self.keys_len] = slot.atom;
            self.keys_len += 1;
            if let Some(Frame::Record { key, .. }) = self.frames.last_mut() {
                *key = Key { start: key.start, ..Key::new(slot.atom, false, Tag::Other) };
            }
            self.skip_whitespace::<false>();
            if self.peek() != b':' {
                return Err(Declined);
            }
            self.pos += 1;
            self.skip_whitespace::<false>();
            let Some(value) = self.member_value(nest)? else { return Ok(None) };
            self.values.push(value);
            self.skip_whitespace::<false>();
            match self.peek() {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    self.frames.pop();
                    return self.record(start as usize, frame_key).map(Some);
                }
                _ => return Err(Declined),
            }
        }
    }

    /// A record member's value for [`Builder::record_members`]: a string, a
    /// number, a literal, an array whose elements are strings or numbers (a
    /// record's labels), or a record (its `user`, read by `record_members`
    /// while `nest` is below [`INLINE_NESTING`]). `None` where the general
    /// loop is to go on: at the value, or inside the array or record with its
    /// frame pushed and what was read of it in [`Builder::values`].
    #[inline(always)]
    fn member_value(&mut self, nest: usize) -> Step<Option<JsValue>> {
        let value = match self.peek() {
            b'"' => {
                self.pos += 1;
                self.string_value::<false>()?
            }
            b'-' | b'0'..=b'9' => self.number()?,
            b't' => self.literal(b"true", TRUE)?,
            b'f' => self.literal(b"false", FALSE)?,
            b'n' => self.literal(b"null", NULL)?,
            b'[' if self.frames.len() < MAX_DEPTH => {
                self.pos += 1;
                self.skip_whitespace::<false>();
                if self.peek() == b']' {
                    self.pos += 1;
                    // SAFETY: a new array in the builder's context, owned by the builder.
                    return self.check(unsafe { qjs::JS_NewArray(self.ctx) }).map(Some);
                }
                let start = self.values.len();
                self.frames.push(Frame::Array { start });
                return self.scalar_elements(start);
            }
            // As the general loop opens a record (and never the envelope's objects: `expects_keys`).
            b'{' if nest < INLINE_NESTING
                && self.frames.len() < MAX_DEPTH
                && self.keys_len < KEYS
                && self.expects_keys() =>
            {
                self.pos += 1;
                self.skip_whitespace::<false>();
                if self.peek() == b'}' {
                    self.pos += 1;
                    // SAFETY: a new object in the builder's context, owned by the builder.
                    return self.check(unsafe { qjs::JS_NewObject(self.ctx) }).map(Some);
                }
                let (start, key) = self.opening_object()?;
                self.frames.push(Frame::Record { start, key });
                return self.record_members(nest + 1);
            }
            _ => return Ok(None),
        };
        Ok(Some(value))
    }

    /// Where an object opening now starts: its values (as a record) at the end
    /// of [`Builder::values`], and its frame's key, none read yet, with its
    /// keys from the end of [`Builder::keys`].
    fn opening_object(&self) -> Step<(u32, Key)> {
        let mut key = Key::new(0, false, Tag::Other);
        key.start = self.keys_len.min(usize::from(u8::MAX)) as u8;
        let start = u32::try_from(self.values.len()).map_err(|_| Declined)?;
        Ok((start, key))
    }

    /// Reads the elements of the open array (its frame on top, its first
    /// element next) while each is a string or a number, and makes the array
    /// when it closes. `None` at an element of another kind, for the general
    /// loop to read.
    fn scalar_elements(&mut self, start: usize) -> Step<Option<JsValue>> {
        loop {
            self.skip_whitespace::<false>();
            let element = match self.peek() {
                b'"' => {
                    self.pos += 1;
                    self.string_value::<false>()?
                }
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return Ok(None),
            };
            self.values.push(element);
            self.skip_whitespace::<false>();
            match self.peek() {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    self.frames.pop();
                    return self.array(start).map(Some);
                }
                _ => return Err(Declined),
            }
        }
    }

    /// Reads `"key" :` into the current object frame.
    fn member_key<const NESTED: bool>(&mut self) -> Step<()> {
        self.skip_whitespace::<NESTED>();
        self.open_quote::<NESTED>()?;
        let key = self.key::<NESTED>()?;
        let tag = key.tag;
        // An owned key's atom is freed once defined: such a sequence is not pinned (0 marks it).
        if let Some(slot) = self.keys.get_mut(self.keys_len) {
            *slot = if key.owned { 0 } else { key.atom };
        }
        self.keys_len += 1;
        if key.owned || self.keys_len > KEYS {
            self.materialize()?;
        }
        let (Some(Frame::Object { key: slot, .. }) | Some(Frame::Record { key: slot, .. })) = self.frames.last_mut()
        else {
            unreachable!()
        };
        *slot = Key { start: slot.start, ..key };
        self.skip_whitespace::<NESTED>();
        if self.peek() != b':' {
            return Err(Declined);
        }
        self.pos += 1;
        if !NESTED {
            self.note_key(tag);
        }
        Ok(())
    }

    /// Whether the frames are the envelope's first content block (`{"content": [{`).
    fn in_first_block(&self) -> bool {
        self.frames.len() == 3
            && matches!(&self.frames[0], Frame::Object { key, .. } if key.tag == Tag::Content)
            && matches!(&self.frames[1], Frame::Array { start } if *start == self.values.len())
            && matches!(&self.frames[2], Frame::Object { .. })
    }

    /// Counts the envelope's keys that decide its shape.
    fn note_key(&mut self, tag: Tag) {
        let depth = self.frames.len();
        if self.envelope.is_none() || depth > 3 || tag == Tag::Other {
            return;
        }
        let first_block = self.in_first_block();
        let type_is_text = tag == Tag::Type && self.input[self.pos..].trim_ascii_start().starts_with(b"\"text\"");
        let Some(envelope) = &mut self.envelope else { return };
        if depth == 1 {
            match tag {
                Tag::Content => envelope.content_keys += 1,
                Tag::Structured => envelope.structured_keys += 1,
                Tag::Escaped => envelope.unusual = true,
                _ => {}
            }
        } else if first_block {
            match tag {
                Tag::Type => {
                    envelope.type_keys += 1;
                    envelope.type_is_text = type_is_text;
                }
                Tag::Text => {
                    envelope.text_keys += 1;
                    if let Some(speculation) = &mut envelope.speculation {
                        speculation.overwritten = true;
                    }
                }
                Tag::Escaped => envelope.unusual = true,
                _ => {}
            }
        }
    }

    /// Whether the string value about to be read is the first block's first `text`.
    fn speculating(&self) -> bool {
        self.envelope.as_ref().is_some_and(|e| e.speculation.is_none() && e.text_keys == 1)
            && self.in_first_block()
            && matches!(self.frames.last(), Some(Frame::Object { key, .. }) if key.tag == Tag::Text)
    }

    /// Reads the first block's text as JSON where it stands, inside the string;
    /// its `text` is undefined until [`finish`](Self::finish) decides. If the
    /// text is not JSON the builder makes (most prose fails at its first byte),
    /// it becomes a string as any other.
    fn speculate(&mut self) -> Step<JsValue> {
        let start = self.pos + 1;
        let mut inner = Builder::new(self.ctx, self.input, false);
        inner.pos = start;
        let (value, end, deep) = match inner.document::<true>() {
            Ok(value) => (value, inner.pos, false),
            Err(Declined) => {
                let deep = inner.too_deep || too_deep::<true>(&self.input[start..]);
                drop(inner);
                self.pos = start;
                let text = self.string_value::<false>()?;
                if !deep {
                    return Ok(text);
                }
                (text, self.pos - 1, true)
            }
        };
        self.pos = end + 1;
        let Some(Frame::Object { object, .. }) = self.frames.last() else { unreachable!() };
        // SAFETY: a second reference to the block, released by `finish` or on drop.
        let block = unsafe { qjs::JS_DupValue(self.ctx, *object) };
        if let Some(envelope) = &mut self.envelope {
            envelope.speculation = Some(Speculation { value, block, deep, span: (start, end), overwritten: false });
        }
        Ok(UNDEFINED)
    }

    /// The result and its form: for a tool call's text result that was JSON,
    /// the value itself; otherwise the envelope (with the text put back).
    fn finish(&mut self, envelope_value: JsValue) -> Step<(JsValue, Form)> {
        let Some(mut envelope) = self.envelope.take() else { return Ok((envelope_value, Form::Parsed)) };
        let Some(speculation) = envelope.speculation.take() else { return Ok((envelope_value, Form::Parsed)) };
        let text_result = !envelope.unusual
            && envelope.content_keys == 1
            && envelope.structured_keys == 0
            && envelope.content_len == Some(1)
            && envelope.type_keys == 1
            && envelope.type_is_text
            && envelope.text_keys == 1
            && !speculation.overwritten;
        // SAFETY: the speculation's value and block reference are owned here; each is freed or handed on once.
        unsafe {
            if text_result {
                qjs::JS_FreeValue(self.ctx, speculation.block);
                qjs::JS_FreeValue(self.ctx, envelope_value);
                return Ok((speculation.value, Form::Value));
            }
            if speculation.deep && !speculation.overwritten {
                let atom = qjs::JS_NewAtomLen(self.ctx, c"text".as_ptr(), 4);
                qjs::JS_DefinePropertyValue(
                    self.ctx,
                    speculation.block,
                    atom,
                    speculation.value,
                    qjs::JS_PROP_C_W_E as i32,
                );
                qjs::JS_FreeAtom(self.ctx, atom);
                qjs::JS_FreeValue(self.ctx, speculation.block);
                return Ok((envelope_value, Form::Parsed));
            }
            qjs::JS_FreeValue(self.ctx, speculation.value);
            if !speculation.overwritten {
                self.pos = speculation.span.0;
                let text = match self.string_value::<false>() {
                    Ok(text) => text,
                    Err(Declined) => {
                        qjs::JS_FreeValue(self.ctx, speculation.block);
                        qjs::JS_FreeValue(self.ctx, envelope_value);
                        // The text was JSON, so it is a string this builder makes: out of memory.
                        return Err(Declined);
                    }
                };
                let atom = qjs::JS_NewAtomLen(self.ctx, c"text".as_ptr(), 4);
                qjs::JS_DefinePropertyValue(self.ctx, speculation.block, atom, text, qjs::JS_PROP_C_W_E as i32);
                qjs::JS_FreeAtom(self.ctx, atom);
            }
            qjs::JS_FreeValue(self.ctx, speculation.block);
        }
        Ok((envelope_value, Form::Parsed))
    }

    /// Turns QuickJS's exception value into a decline.
    fn check(&mut self, value: JsValue) -> Step<JsValue> {
        // SAFETY: inspecting a value's tag reads no memory.
        if unsafe { qjs::JS_IsException(value) } {
            self.clear_exception();
            return Err(Declined);
        }
        Ok(value)
    }

    fn clear_exception(&mut self) {
        // SAFETY: the pending exception is taken and released.
        unsafe { qjs::JS_FreeValue(self.ctx, qjs::JS_GetException(self.ctx)) };
    }

    fn literal(&mut self, word: &[u8], value: JsValue) -> Step<JsValue> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(Declined)
        }
    }

    /// A JSON number, as `JSON.parse` makes it: correctly rounded (Rust's
    /// parser and QuickJS's `strtod` both are), `-0` kept, overflow to infinity.
    fn number(&mut self) -> Step<JsValue> {
        let start = self.pos;
        let negative = self.peek() == b'-';
        if negative {
            self.pos += 1;
        }
        let digits = self.pos;
        let mut integer: u64 = 0;
        while let digit @ b'0'..=b'9' = self.peek() {
            integer = integer.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            self.pos += 1;
        }
        let count = self.pos - digits;
        if count == 0 || (count > 1 && self.input[digits] == b'0') {
            return Err(Declined);
        }
        let simple = !matches!(self.peek(), b'.' | b'e' | b'E');
        if simple && count <= 15 {
            let magnitude = integer as f64;
            return Ok(qjs::JS_NewFloat64(if negative { -magnitude } else { magnitude }));
        }
        if self.peek() == b'.' {
            self.pos += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), b'e' | b'E') {
            self.pos += 1;
            if matches!(self.peek(), b'+' | b'-') {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        let text = std::str::from_utf8(&self.input[start..self.pos]).map_err(|_| Declined)?;
        let number: f64 = text.parse().map_err(|_| Declined)?;
        Ok(qjs::JS_NewFloat64(number))
    }

    /// One or more digits (a fraction's or an exponent's).
    fn some_digits(&mut self) -> Step<()> {
        let start = self.pos;
        while self.peek().is_ascii_digit() {
            self.pos += 1;
        }
        if self.pos == start { Err(Declined) } else { Ok(()) }
    }

    /// A string value, its opening quote consumed.
    fn string_value<const NESTED: bool>(&mut self) -> Step<JsValue> {
        let scanned = self.scan_string::<NESTED>()?;
        let (bytes, ascii) = match scanned {
            Scanned::Raw { start, end, ascii: true } if (1..=SHARED_STRING_BYTES).contains(&(end - start)) => {
                return self.short_string(start, end);
            }
            Scanned::Raw { start, end, ascii } => (&self.input[start..end], ascii),
            Scanned::Decoded { ascii } => (&self.scratch[..], ascii),
        };
        let string = if ascii {
            // SAFETY: `bytes` is ASCII; QuickJS copies it.
            unsafe { JS_SluiceNewAsciiString(self.ctx, bytes.as_ptr().cast(), bytes.len()) }
        } else {
            std::str::from_utf8(bytes).map_err(|_| Declined)?;
            // SAFETY: `bytes` is valid UTF-8 of the given length; QuickJS copies it.
            unsafe { qjs::JS_NewStringLen(self.ctx, bytes.as_ptr().cast(), bytes.len() as _) }
        };
        self.check(string)
    }

    /// A short plain ASCII string value, from the atom cache: values such as
    /// `"open"` or a label repeat across records, and an atom's string is
    /// shared instead of allocated and copied each time.
    fn short_string(&mut self, start: usize, end: usize) -> Step<JsValue> {
        let input = self.input;
        let bytes = &input[start..end];
        let short = self.short_key(start, end, true);
        let string = match self.cached_atom(bytes, true, short)? {
            // SAFETY: the atom is the cache's; its string comes with a reference of its own.
            Some(atom) => unsafe { qjs::JS_AtomToString(self.ctx, atom) },
            // SAFETY: ASCII, copied by QuickJS.
            None => unsafe { JS_SluiceNewAsciiString(self.ctx, bytes.as_ptr().cast(), bytes.len()) },
        };
        self.check(string)
    }

    /// The cache's atom for a key or a short value, made and cached if the
    /// cache has room for it; `None` if not (the caller makes its own).
    /// `short`: its words, when the short table keeps it ([`Builder::short_key`]).
    #[inline(always)]
    fn cached_atom(&mut self, bytes: &'a [u8], ascii: bool, short: Option<(u64, u64)>) -> Step<Option<JsAtom>> {
        if let Some(words) = short
            && let Some(atom) = self.short_get(words, bytes.len())
        {
            return Ok(Some(atom));
        }
        let atom = match self.atoms.get(bytes) {
            Some(&atom) => atom,
            None if bytes.len() <= CACHED_KEY_BYTES && self.atoms.len() < CACHED_KEYS => {
                let atom = self.atom(bytes, ascii)?;
                self.atoms.insert(bytes, atom);
                atom
            }
            None => return Ok(None),
        };
        if let Some(words) = short {
            self.short_put(words, bytes.len(), atom);
        }
        Ok(Some(atom))
    }

    /// The short table's slot for these words.
    #[inline]
    fn short_slot(lo: u64, hi: u64, len: usize) -> usize {
        let mixed = (lo ^ hi.rotate_left(23) ^ len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> (64 - SHORT_SLOTS.trailing_zeros())) as usize
    }

    /// The cached atom of a short plain string, if the table has it.
    #[inline]
    fn short_get(&self, (lo, hi): (u64, u64), len: usize) -> Option<JsAtom> {
        let slot = self.short.get(Self::short_slot(lo, hi, len))?;
        (slot.len as usize == len && slot.lo == lo && slot.hi == hi).then_some(slot.atom)
    }

    /// Puts a cached atom (owned by [`Builder::atoms`]) in the short table.
    #[inline]
    fn short_put(&mut self, (lo, hi): (u64, u64), len: usize, atom: JsAtom) {
        if let Some(slot) = self.short.get_mut(Self::short_slot(lo, hi, len)) {
            *slot = ShortSlot { lo, hi, len: len as u32, atom };
        }
    }

    /// The words of a string for the short table, if it goes there.
    #[inline]
    fn short_key(&self, start: usize, end: usize, ascii: bool) -> Option<(u64, u64)> {
        let len = end - start;
        (ascii && (1..=SHORT_BYTES).contains(&len) && !self.short.is_empty())
            .then(|| short_words(self.input, start, len))
    }

    /// A key, its opening quote consumed, as an atom (cached when short and plain).
    fn key<const NESTED: bool>(&mut self) -> Step<Key> {
        // Inside a string the closing quote is escaped, and the envelope's keys need their tags.
        let expected = if NESTED || !self.expects_keys() { None } else { self.expected_slot() };
        if let Some(index) = expected {
            let slot = self.expected[index];
            if self.is_expected_key(self.pos, &slot) {
                self.pos += slot.len as usize + 1;
                return Ok(Key::new(slot.atom, false, Tag::Other));
            }
        }
        let scanned = self.scan_string::<NESTED>()?;
        let (start, end, ascii) = match scanned {
            Scanned::Raw { start, end, ascii } => (start, end, ascii),
            Scanned::Decoded { ascii } => {
                let scratch = std::mem::take(&mut self.scratch);
                let atom = self.atom(&scratch, ascii);
                self.scratch = scratch;
                return Ok(Key::new(atom?, true, Tag::Escaped));
            }
        };
        let input = self.input;
        let bytes = &input[start..end];
        let tag = if self.envelope.is_none() {
            Tag::Other
        } else {
            match bytes {
                b"content" => Tag::Content,
                b"structuredContent" => Tag::Structured,
                b"type" => Tag::Type,
                b"text" => Tag::Text,
                _ => Tag::Other,
            }
        };
        let short = self.short_key(start, end, ascii);
        let Some(atom) = self.cached_atom(bytes, ascii, short)? else {
            return Ok(Key::new(self.atom(bytes, ascii)?, true, tag));
        };
        // The next object at this depth expects this key here (also when the
        // short table knew it: records of two kinds may alternate).
        if let (Some((lo, hi)), Some(index)) = (short, expected) {
            self.expected[index] = ShortSlot { lo, hi, len: bytes.len() as u32, atom };
        }
        Ok(Key::new(atom, false, tag))
    }

    /// Where [`Builder::expected`] keeps the key about to be read: by the
    /// depth of its object and its place there.
    fn expected_slot(&self) -> Option<usize> {
        let (Some(Frame::Record { key, .. }) | Some(Frame::Object { key, .. })) = self.frames.last() else {
            return None;
        };
        expected_index(self.frames.len(), self.keys_len.checked_sub(usize::from(key.start))?)
    }

    /// Whether keys are read by [`Builder::expected`]: a large input's, outside
    /// an envelope (whose keys need their tags).
    #[inline]
    fn expects_keys(&self) -> bool {
        !self.expected.is_empty() && self.envelope.is_none()
    }

    /// Whether the key from `at` (past its opening quote) is `slot`'s, up to its closing quote.
    #[inline]
    fn is_expected_key(&self, at: usize, slot: &ShortSlot) -> bool {
        let len = slot.len as usize;
        len > 0 && self.input.get(at + len) == Some(&b'"') && short_words(self.input, at, len) == (slot.lo, slot.hi)
    }

    /// The atom of a key, as `JSON.parse` makes it (integer-like keys become integer atoms).
    fn atom(&mut self, bytes: &[u8], ascii: bool) -> Step<JsAtom> {
        // SAFETY: `bytes` is valid UTF-8 (checked below when not ASCII); QuickJS copies it.
        unsafe {
            if ascii {
                // `JS_NewAtomLen` finds existing atoms by their bytes, which is right only for ASCII.
                let atom = qjs::JS_NewAtomLen(self.ctx, bytes.as_ptr().cast(), bytes.len() as _);
                return if atom == 0 { Err(Declined) } else { Ok(atom) };
            }
            std::str::from_utf8(bytes).map_err(|_| Declined)?;
            let string = self.check(qjs::JS_NewStringLen(self.ctx, bytes.as_ptr().cast(), bytes.len() as _))?;
            let atom = qjs::JS_ValueToAtom(self.ctx, string);
            qjs::JS_FreeValue(self.ctx, string);
            if atom == 0 {
                self.clear_exception();
                return Err(Declined);
            }
            Ok(atom)
        }
    }

    /// Advances over a string's plain run (no `"`, `\\` or control byte),
    /// sixteen bytes at a time with SIMD (eight without), noting in `high`
    /// whether any byte is not ASCII. The position is a local until the end:
    /// kept in the builder, it was stored to memory at every step (a
    /// 10,000-record result's 2.5 MB of strings took ~8% of its run here).
    #[inline]
    fn plain_run(&mut self, high: &mut u64) {
        let input = self.input;
        let mut pos = self.pos;
        #[cfg(target_feature = "simd128")]
        {
            use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_load, v128_or};
            let (quote, backslash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
            let mut seen = u8x16_splat(0);
            while pos + 16 <= input.len() {
                // SAFETY: the sixteen bytes from `pos` lie inside `input` (checked
                // above); a wasm `v128.load` needs no alignment.
                let chunk = unsafe { v128_load(input.as_ptr().add(pos).cast()) };
                let stops =
                    v128_or(v128_or(u8x16_eq(chunk, quote), u8x16_eq(chunk, backslash)), u8x16_lt(chunk, space));
                let stop = u8x16_bitmask(stops);
                if stop != 0 {
                    let run = stop.trailing_zeros();
                    // The bytes before the stop, and all before this chunk (`run` < 16).
                    if (u8x16_bitmask(chunk) & ((1u16 << run) - 1)) | u8x16_bitmask(seen) != 0 {
                        *high |= 0x80;
                    }
                    self.pos = pos + run as usize;
                    return;
                }
                seen = v128_or(seen, chunk);
                pos += 16;
            }
            if u8x16_bitmask(seen) != 0 {
                *high |= 0x80;
            }
        }
        while let Some(chunk) = input.get(pos..pos + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            let stop = stops(word);
            if stop != 0 {
                let run = (stop.trailing_zeros() / 8) as usize;
                if run > 0 {
                    *high |= word & (u64::MAX >> (64 - 8 * run));
                }
                self.pos = pos + run;
                return;
            }
            *high |= word;
            pos += 8;
        }
        while let Some(&byte) = input.get(pos) {
            if byte == b'"' || byte == b'\\' || byte < 0x20 {
                break;
            }
            *high |= u64::from(byte);
            pos += 1;
        }
        self.pos = pos;
    }

    /// Finds a string's end, its opening quote consumed, leaving the position
    /// after its closing quote. Escapes are decoded into `scratch`.
    fn scan_string<const NESTED: bool>(&mut self) -> Step<Scanned> {
        const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
        let start = self.pos;
        let mut high = 0u64;
        self.plain_run(&mut high);
        match self.peek() {
            b'"' if !NESTED => {
                self.pos += 1;
                return Ok(Scanned::Raw { start, end: self.pos - 1, ascii: high & HIGH_BITS == 0 });
            }
            b'\\' if NESTED && self.at(1) == b'"' => {
                self.pos += 2;
                return Ok(Scanned::Raw { start, end: self.pos - 2, ascii: high & HIGH_BITS == 0 });
            }
            b'\\' => {}
            _ => return Err(Declined),
        }
        // Escapes: decode the rest into `scratch`, run by run.
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.input[start..self.pos]);
        loop {
            match self.peek() {
                b'"' if !NESTED => {
                    self.pos += 1;
                    return Ok(Scanned::Decoded { ascii: high & HIGH_BITS == 0 });
                }
                b'\\' => {
                    if NESTED {
                        // The text's own escapes are `\\` then the escaped character.
                        match self.at(1) {
                            b'"' => {
                                self.pos += 2;
                                return Ok(Scanned::Decoded { ascii: high & HIGH_BITS == 0 });
                            }
                            b'\\' => self.pos += 2,
                            _ => return Err(Declined),
                        }
                    } else {
                        self.pos += 1;
                    }
                    let unit = self.escape::<NESTED>()?;
                    if unit >= 0x80 {
                        high |= HIGH_BITS;
                    }
                    let mut utf8 = [0u8; 4];
                    self.scratch
                        .extend_from_slice(char::from_u32(unit).ok_or(Declined)?.encode_utf8(&mut utf8).as_bytes());
                }
                _ => return Err(Declined),
            }
            let run = self.pos;
            self.plain_run(&mut high);
            self.scratch.extend_from_slice(&self.input[run..self.pos]);
        }
    }

    /// The character an escape stands for, its backslash consumed. Inside a
    /// string, `"` and `\` are themselves escaped. A surrogate must come as a
    /// pair (a lone one declines: UTF-8 cannot hold it).
    fn escape<const NESTED: bool>(&mut self) -> Step<u32> {
        let byte = self.peek();
        let byte = if NESTED && byte == b'\\' {
            let escaped = self.at(1);
            if !matches!(escaped, b'"' | b'\\') {
                return Err(Declined);
            }
            self.pos += 1;
            escaped
        } else {
            byte
        };
        self.pos += 1;
        Ok(match byte {
            b'"' => u32::from(b'"'),
            b'\\' => u32::from(b'\\'),
            b'/' => u32::from(b'/'),
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => u32::from(b'\n'),
            b'r' => u32::from(b'\r'),
            b't' => u32::from(b'\t'),
            b'u' => {
                let unit = self.hex4()?;
                if (0xdc00..0xe000).contains(&unit) {
                    return Err(Declined);
                }
                if (0xd800..0xdc00).contains(&unit) {
                    let prefix: &[u8] = if NESTED { b"\\\\u" } else { b"\\u" };
                    if !self.input[self.pos..].starts_with(prefix) {
                        return Err(Declined);
                    }
                    self.pos += prefix.len();
                    let low = self.hex4()?;
                    if !(0xdc00..0xe000).contains(&low) {
                        return Err(Declined);
                    }
                    0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                } else {
                    unit
                }
            }
            _ => return Err(Declined),
        })
    }

    fn hex4(&mut self) -> Step<u32> {
        let digits = self.input.get(self.pos..self.pos + 4).ok_or(Declined)?;
        let mut unit = 0;
        for &digit in digits {
            unit = unit * 16 + char::from(digit).to_digit(16).ok_or(Declined)?;
        }
        self.pos += 4;
        Ok(unit)
    }
}

/// Whether `bytes` (a JSON text; inside a string, up to its closing quote)
/// opens more than [`MAX_DEPTH`] arrays and objects at once, whether or not
/// it is valid: the most QuickJS's parser could recurse on it.
fn too_deep<const NESTED: bool>(bytes: &[u8]) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let mut i = 0;
    while i < bytes.len() {
        let mut byte = bytes[i];
        i += 1;
        if NESTED {
            match byte {
                b'"' => return false,
                // The text's characters come escaped: `\"` is a quote, `\\` a backslash.
                b'\\' => {
                    byte = match bytes.get(i) {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        _ => b' ',
                    };
                    i += 1;
                }
                _ => {}
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}
