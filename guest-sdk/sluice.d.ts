// The JavaScript and TypeScript API of Sluice programs: what a program finds in its global scope.
//
// A program is an ES module: top-level `await` works, and it may `import` files
// from /workspace (relative paths, e.g. `./helpers.js`; `.ts` files have their
// types stripped; `./x` finds `./x.ts`, `./x.js`, `./x.mjs`, `./x.mts`,
// `./x.json`, `./x/index.ts` or `./x/index.js`, and a missing `./x.js` may be
// `./x.ts`; `.json` files import as their value, with or without
// `with { type: 'json' }`), saved helpers from /skills (`/skills/x.js`, or
// `skills/x`), and Node's `fs`, `fs/promises` and `path` (declared at the end of
// this file), and nothing else. There is no network, no environment and no Node
// or browser API beyond what is below and standard JavaScript (ES2025, as QuickJS
// implements it). This file declares every global Sluice adds to standard
// JavaScript, and only those (a test checks
// both ways); use it with TypeScript's `lib: ["es2023"]` or later, without "dom".
//
// Using a Node or browser global that does not exist (`require`, `Buffer`,
// `window`, `document`, `__dirname`, `localStorage`, ...) fails with a
// ReferenceError that, uncaught, says what to use instead.

/**
 * Every configured MCP server, as a code API: `await tools.<server>.<tool>(args)`.
 *
 * - Names with `-` or `.` are reachable with brackets, `tools["server-everything"]["get-sum"]`,
 *   or by their identifier-safe alias, `tools.server_everything.get_sum`: an identifier is
 *   its own alias; otherwise every character outside `[A-Za-z0-9_$]` becomes `_`, and a
 *   leading digit gets a leading `_`. An exact name always wins over an alias.
 * - `args` is one object (default `{}`); it is sent as the call's JSON arguments.
 * - The promise resolves to the result's value: `structuredContent` when the tool gives
 *   one; otherwise a single text block, parsed as JSON when it is JSON, else the text;
 *   otherwise the content array.
 * - It rejects with a {@link ToolError} when the tool reports an error (`isError`) or the
 *   call produces no result (unknown tool, bad or oversized arguments, timeout, ...).
 * - Calls are truly concurrent: `await Promise.all([...])` puts them all in flight on the
 *   host at once (up to the run's in-flight limit; the rest start as earlier ones finish).
 * - Each run allows a limited number of calls (1,000 by default); the call past it stops
 *   the program.
 *
 * `sluice.describe(server, tool)` gives a tool's exact signature.
 */
declare const tools: {
  readonly [server: string]: {
    readonly [tool: string]: (args?: Record<string, unknown>) => Promise<unknown>;
  };
};

/** Discovery: find tools without loading every definition up front; the program's arguments. */
declare const sluice: {
  /**
   * The program's arguments: what follows `--` on the command line
   * (`sluice run prog.js -- a b` gives `["a", "b"]`), or `ExecutionPolicy::with_args`.
   */
  readonly args: string[];

  /** The servers on offer, with one line each. Loads no tool definitions. */
  servers(): Promise<Array<{ name: string; summary: string }>>;

  /**
   * Tools matching `query` across every server, best first (BM25 over stemmed words of
   * names, titles, descriptions and parameters; common synonyms such as "bug" for
   * "issue" count too, and reading words favour read-only tools).
   *
   * @param options.limit how many matches, 1 to 100 (default 10).
   * @param options.detail `"name"`: names only; `"summary"` (default): plus the first
   *   sentence of the description; `"full"`: plus the whole definition.
   */
  search(
    query: string,
    options?: { limit?: number; detail?: "name" | "summary" | "full" },
  ): Promise<
    Array<{
      server: string;
      tool: string;
      score: number;
      /** The tool's `readOnlyHint` annotation: true if it changes nothing. */
      readOnly?: boolean;
      /** The tool's `destructiveHint` annotation: true if it may destroy data. */
      destructive?: boolean;
      description?: string;
      definition?: {
        name: string;
        title?: string;
        description?: string;
        inputSchema: object;
        outputSchema?: object;
        annotations?: object;
      };
    }>
  >;

  /**
   * One tool's TypeScript declaration, generated from its schemas, with its description
   * as doc comment:
   *
   * ```ts
   * declare namespace tools.demo {
   *   /** Adds two numbers and returns their sum. *\/
   *   function add(args: { a: number; b: number }): Promise<{ sum: number }>;
   * }
   * ```
   *
   * Names may be aliases.
   */
  describe(server: string, tool: string): Promise<string>;

  /**
   * Files under /workspace (and /skills): the functions of `node:fs/promises`, plus
   * `exists`, `readJSON` and `writeJSON`. Relative paths resolve against /workspace.
   */
  readonly fs: SluiceFilePromises & {
    /** Whether `path` exists (never rejects). */
    exists(path: SluicePath): Promise<boolean>;
    /** The file parsed as JSON (a SyntaxError naming the file if it is not JSON). */
    readJSON(path: SluicePath): Promise<unknown>;
    /** Writes `value` as JSON, indented by `spaces` (default 2), with a final newline. */
    writeJSON(path: SluicePath, value: unknown, options?: { spaces?: number | string }): Promise<void>;
  };

  /**
   * The helpers saved in /skills (`sluice run --skills DIR`): every `.js`, `.mjs`, `.ts`
   * and `.mts` file below it, `name` its path without the extension, `description` its
   * first doc comment (a leading `/* *\/` or `//` block, else the first `/** *\/`).
   * Empty when the run has no /skills. Import one with `import { x } from '/skills/<name>.js'`.
   */
  skills(): Promise<Array<{ name: string; path: string; description: string }>>;
};

/**
 * Why a tool call (or a discovery call) gave no usable result. Its `message` is
 * `server.tool: what went wrong`, and its `stack` is where the program made the call
 * (its own files and lines), so an uncaught one says which call failed and why.
 */
declare class ToolError extends Error {
  readonly name: "ToolError";
  /** The server the call went to (`sluice` for discovery calls). */
  readonly server: string;
  /** The tool (or discovery operation). */
  readonly tool: string;
  /**
   * `tool_reported` when the tool ran and reported an error (see `content`); otherwise
   * `unknown_server`, `unknown_tool`, `invalid_arguments`, `arguments_too_large`,
   * `result_too_large`, `server_error`, `timeout` or `invalid_request`.
   */
  readonly kind: string;
  /** The tool's content blocks, for `tool_reported`; empty otherwise. */
  readonly content: unknown[];
}

/**
 * Output, formatted the way Node formats it, on one line per value: strings as they are,
 * other values inspected (`{ a: 1, b: 'x' }`, `[ 1, 2 ]`, `Map(1) { ... }`), objects past
 * depth 2 shown as `[Object]`; a first string argument may hold Node's `%s %d %i %f %j %o
 * %O %c` directives. `log`, `info`, `debug`, `dir`, `table`, `count`, `time*` and `group`
 * write to stdout; `warn`, `error`, `trace` and failed `assert`s to stderr. Output past the
 * run's cap is dropped (and the run says so).
 */
declare const console: {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  debug(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
  /** One value, as `log` shows it. */
  dir(value: unknown): void;
  /**
   * A table drawn with box characters, as Node draws it: one row per element (or entry of
   * an object, Map or Set), one column per property (only `columns`, when given). Anything
   * that is not an object is logged as it is.
   */
  table(data: unknown, columns?: string[]): void;
  /** `Trace: <values>` and the stack, to stderr. */
  trace(...values: unknown[]): void;
  /** Writes `Assertion failed: <values>` to stderr when `condition` is falsy; does not throw. */
  assert(condition: unknown, ...values: unknown[]): void;
  /** `<label>: <how many times count(label) was called>` (label `default`). */
  count(label?: string): void;
  countReset(label?: string): void;
  /** Starts a timer; `timeEnd`/`timeLog` print `<label>: 1.234ms`. */
  time(label?: string): void;
  timeLog(label?: string, ...values: unknown[]): void;
  timeEnd(label?: string): void;
  /** Indents what follows by two spaces, until `groupEnd`. */
  group(...label: unknown[]): void;
  groupCollapsed(...label: unknown[]): void;
  groupEnd(): void;
};

/** Randomness from the host's secure random source (fresh on every run). No `subtle`. */
declare const crypto: {
  /** Fills an integer typed array (at most 65,536 bytes) with random values and returns it. */
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(
    array: T,
  ): T;
  /** A random version 4 UUID: `"3b241101-e2bb-4255-8caf-4136c566a962"`. */
  randomUUID(): `${string}-${string}-${string}-${string}-${string}`;
};

/**
 * What `setTimeout` and `setInterval` return, as in Node: pass it (or `+timer`, its id) to
 * `clearTimeout`/`clearInterval`.
 */
interface Timeout {
  /** Keeps the program alive until the timer has run (the default). */
  ref(): this;
  /** Lets the program end without waiting for this timer. */
  unref(): this;
  hasRef(): boolean;
  /** Starts the timer's delay over from now. */
  refresh(): this;
  /** Clears the timer. */
  close(): this;
  [Symbol.toPrimitive](): number;
}

/** What `setImmediate` returns. */
interface Immediate {
  ref(): this;
  unref(): this;
  hasRef(): boolean;
}

/**
 * Calls `callback(...args)` (with the timer as `this`) after `delay` milliseconds, as Node
 * does: a delay that is not a number from 1 to 2^31 - 1 becomes 1 (a larger one with Node's
 * `TimeoutOverflowWarning` on stderr). The program waits for pending timers before it ends
 * (unless they are `unref()`ed), and a timer races its tool calls: waiting on one does not
 * hold up the other. No timer outlives the run: at its deadline the program ends, waiting or
 * not. At most 10,000 timers and immediates may be pending at once; one more throws a
 * RangeError. An exception thrown by a callback, or a rejected promise one returns, ends the
 * program as an uncaught error.
 */
declare function setTimeout<A extends unknown[]>(callback: (this: Timeout, ...args: A) => unknown, delay?: number, ...args: A): Timeout;
/** Like `setTimeout`, again every `delay` milliseconds (counted from the end of each call) until cleared. */
declare function setInterval<A extends unknown[]>(callback: (this: Timeout, ...args: A) => unknown, delay?: number, ...args: A): Timeout;
/** Cancels a timer; anything else (`undefined`, an unknown id) is ignored. */
declare function clearTimeout(timer: Timeout | number | string | undefined | null): void;
/** The same as `clearTimeout`. */
declare function clearInterval(timer: Timeout | number | string | undefined | null): void;
/** Calls `callback(...args)` once the current code and its promise callbacks are done, before any timer. */
declare function setImmediate<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Immediate;
declare function clearImmediate(immediate: Immediate | undefined | null): void;
/** Calls `callback` as a promise job (a microtask). */
declare function queueMicrotask(callback: () => void): void;

/** The monotonic clock. */
declare const performance: {
  /** Milliseconds since the run started, with sub-millisecond precision. */
  now(): number;
  /** When the run started, in milliseconds since the Unix epoch. */
  readonly timeOrigin: number;
};

/** Base64: `btoa` encodes a string of Latin-1 characters (one byte each), `atob` decodes. */
declare function btoa(data: string): string;
declare function atob(data: string): string;

/** The Web's error class with a `name` (such as `"DataCloneError"`) and its legacy numeric `code`. */
declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly code: number;
}

/**
 * A deep copy by the HTML structured clone algorithm, as Node has it: plain objects and arrays
 * (own enumerable properties; class instances become plain objects), Date, RegExp, Map, Set,
 * ArrayBuffer, typed arrays, DataView, Error objects and boxed primitives, keeping shared
 * references and cycles. Functions, symbols, promises, weak collections and the like throw a
 * `DOMException` named `DataCloneError`. `transfer` moves ArrayBuffers (the originals are left
 * detached).
 */
declare function structuredClone<T>(value: T, options?: { transfer?: ArrayBuffer[] }): T;

/** Text to UTF-8 bytes (lone surrogates become U+FFFD). */
declare class TextEncoder {
  constructor();
  /** Always `"utf-8"`. */
  readonly encoding: "utf-8";
  encode(input?: string): Uint8Array;
  /** Writes as much of `source` as fits (whole characters only); says how much it read and wrote. */
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}

/**
 * UTF-8 bytes to text, as the WHATWG Encoding standard decodes them: ill-formed bytes become
 * U+FFFD, or with `fatal` throw a TypeError; a leading byte order mark is dropped unless
 * `ignoreBOM`. Only UTF-8 (labels `"utf-8"`, `"utf8"`, ...): another label throws a RangeError.
 */
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  /** With `{stream: true}`, a character split across calls is kept for the next call. */
  decode(input?: ArrayBuffer | ArrayBufferView, options?: { stream?: boolean }): string;
}

/**
 * A URL, parsed as the WHATWG URL Standard says (as Node and browsers parse it): special
 * schemes (http, https, ws, wss, ftp, file) and others, relative references against `base`,
 * IPv4 and IPv6 hosts, Unicode domains (punycoded), percent-encoding. Pure parsing: programs
 * still have no network. An invalid URL throws a TypeError with `code` `"ERR_INVALID_URL"`.
 */
declare class URL {
  constructor(url: string | URL, base?: string | URL);
  /** Whether `url` (against `base`) parses. */
  static canParse(url: string | URL, base?: string | URL): boolean;
  /** The URL, or `null` when it does not parse. */
  static parse(url: string | URL, base?: string | URL): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  /** The query, live: changing it changes `search` and `href`. */
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}

/** A query string's name/value pairs (application/x-www-form-urlencoded), in order. */
declare class URLSearchParams {
  constructor(init?: string | Record<string, string> | Iterable<[string, string]> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  /** Removes every pair named `name` (with `value`, only those with that value). */
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  /** Sets the first pair named `name` and removes the others (or appends one). */
  set(name: string, value: string): void;
  /** Sorts by name (stable). */
  sort(): void;
  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  /** `a=1&b=x+y`, with spaces as `+`. */
  toString(): string;
}

/**
 * ECMA-402 internationalisation for English (TypeScript's own lib declares the types): what Node
 * (ICU) gives for en-US, checked against it. The locale is `"en-US"` (or `"en"`, or left out);
 * another throws a RangeError saying Sluice has English data only.
 *
 * - `Intl.NumberFormat`: styles decimal, percent and currency (any ISO code; symbols and names
 *   for the common ones), notation standard, compact, scientific and engineering, the digit
 *   and rounding options, `signDisplay`, `useGrouping`; `format`, `formatToParts`,
 *   `resolvedOptions`. Style `"unit"` throws.
 * - `Intl.DateTimeFormat`: `dateStyle`/`timeStyle` and the component options (weekday, era,
 *   year, month, day, dayPeriod, hour, minute, second, fractionalSecondDigits, timeZoneName),
 *   `hour12`/`hourCycle` (`hour12: false` counts 00 to 23); `format`, `formatToParts`,
 *   `resolvedOptions`. Time zones: `"UTC"` (the default) and fixed offsets (`"+05:30"`,
 *   `"Etc/GMT-5"`); Sluice has no time zone database, so a named zone such as
 *   `"America/New_York"` throws a RangeError that says to use UTC or an offset, or a time tool.
 * - `Intl.Collator`: ICU's order for Latin text (case and accents as secondary differences,
 *   punctuation before digits before letters); `numeric`, `sensitivity`, `caseFirst`,
 *   `ignorePunctuation`; `compare` is bound (`list.sort(collator.compare)`).
 * - `Intl.PluralRules` (cardinal and ordinal), `Intl.ListFormat`, `Intl.RelativeTimeFormat`,
 *   `Intl.getCanonicalLocales`, and every constructor's `supportedLocalesOf`.
 * - `String.prototype.localeCompare`, `Number.prototype.toLocaleString`,
 *   `BigInt.prototype.toLocaleString` and `Date.prototype.toLocaleString`,
 *   `toLocaleDateString` and `toLocaleTimeString` use these, so they agree with Node.
 */
declare namespace Intl {}

/**
 * A minimal Node `process`. There is no `process.env`: a program has no environment (reading
 * it throws, saying to pass values as arguments instead).
 */
declare const process: {
  /** `["sluice", "<program name>", ...sluice.args]`. */
  readonly argv: string[];
  /** Ends the program at once with `code` (default: `process.exitCode`, else 0); 0 is success. */
  exit(code?: number): never;
  /** `/workspace`: where relative file paths and `path.resolve` start. */
  cwd(): string;
  /** The status the program ends with when it finishes normally (default 0). */
  exitCode: number | undefined;
  /** Calls `callback(...args)` as a microtask. */
  nextTick<A extends unknown[]>(callback: (...args: A) => void, ...args: A): void;
  /** Writes text (or bytes, as UTF-8) without adding a newline. */
  readonly stdout: { write(chunk: string | Uint8Array, callback?: () => void): true };
  readonly stderr: { write(chunk: string | Uint8Array, callback?: () => void): true };
  /** Throws: a program has no environment variables. */
  readonly env: never;
};

/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function fetch(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function XMLHttpRequest(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function WebSocket(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function EventSource(...args: unknown[]): never;

// ----- Files: Node's `fs`, `fs/promises` and `path` (POSIX) -----
//
// Paths are strings (or `file:` URLs, or bytes); relative ones resolve against
// /workspace, and only /workspace and /skills are reachable (elsewhere is EACCES).
// Every call is metered by the run's workspace caps (`--max-workspace`,
// `--max-workspace-files`; past them ENOSPC or EDQUOT). Failures are Errors with
// Node's `code` (ENOENT, EEXIST, EACCES, EISDIR, ENOTDIR, ENOTEMPTY, EROFS...),
// `errno`, `syscall`, `path` and message (`ENOENT: no such file or directory, open
// 'x'`); a run without /workspace gets ENOENT saying so. There is no Buffer:
// bytes are Uint8Array. readdir lists names sorted.

type SluicePath = string | URL | Uint8Array;
type SluiceEncoding = "utf8" | "utf-8" | "latin1" | "binary" | "base64" | "hex" | "ascii";
type SluiceWriteOptions = SluiceEncoding | { encoding?: SluiceEncoding; flag?: "w" | "wx" | "a" | "ax" };

interface SluiceStats {
  size: number;
  mode: number;
  mtimeMs: number;
  atimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  mtime: Date;
  atime: Date;
  ctime: Date;
  birthtime: Date;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

interface SluiceDirent {
  name: string;
  /** The directory listed, as the program named it. */
  parentPath: string;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

interface SluiceFilePromises {
  /** Bytes, or text with an encoding (`'utf8'`). */
  readFile(path: SluicePath, options?: { encoding?: null; flag?: string } | null): Promise<Uint8Array>;
  readFile(path: SluicePath, options: SluiceEncoding | { encoding: SluiceEncoding; flag?: string }): Promise<string>;
  /** Replaces the file (flag `wx`: only if it does not exist). */
  writeFile(path: SluicePath, data: string | ArrayBufferView, options?: SluiceWriteOptions): Promise<void>;
  appendFile(path: SluicePath, data: string | ArrayBufferView, options?: SluiceWriteOptions): Promise<void>;
  readdir(path: SluicePath, options?: { withFileTypes?: false; recursive?: boolean }): Promise<string[]>;
  readdir(path: SluicePath, options: { withFileTypes: true; recursive?: boolean }): Promise<SluiceDirent[]>;
  stat(path: SluicePath, options?: { throwIfNoEntry?: boolean }): Promise<SluiceStats>;
  /** As `stat`, not following a final symbolic link. */
  lstat(path: SluicePath, options?: { throwIfNoEntry?: boolean }): Promise<SluiceStats>;
  /** Resolves if `path` exists, rejects with ENOENT if not. */
  access(path: SluicePath, mode?: number): Promise<void>;
  /** With `recursive`, makes missing parents and resolves to the first directory made. */
  mkdir(path: SluicePath, options?: { recursive?: boolean }): Promise<string | undefined>;
  /** A directory needs `recursive`; `force` ignores a missing path. */
  rm(path: SluicePath, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  rmdir(path: SluicePath): Promise<void>;
  unlink(path: SluicePath): Promise<void>;
  rename(oldPath: SluicePath, newPath: SluicePath): Promise<void>;
  /** `mode` `constants.COPYFILE_EXCL` fails if `dest` exists. */
  copyFile(src: SluicePath, dest: SluicePath, mode?: number): Promise<void>;
  readonly constants: { F_OK: 0; R_OK: 4; W_OK: 2; X_OK: 1; COPYFILE_EXCL: 1 };
}

/** `node:fs/promises` (also `fs/promises`). */
declare module "node:fs/promises" {
  const promises: SluiceFilePromises;
  export default promises;
  export const readFile: SluiceFilePromises["readFile"];
  export const writeFile: SluiceFilePromises["writeFile"];
  export const appendFile: SluiceFilePromises["appendFile"];
  export const readdir: SluiceFilePromises["readdir"];
  export const stat: SluiceFilePromises["stat"];
  export const lstat: SluiceFilePromises["lstat"];
  export const access: SluiceFilePromises["access"];
  export const mkdir: SluiceFilePromises["mkdir"];
  export const rm: SluiceFilePromises["rm"];
  export const rmdir: SluiceFilePromises["rmdir"];
  export const unlink: SluiceFilePromises["unlink"];
  export const rename: SluiceFilePromises["rename"];
  export const copyFile: SluiceFilePromises["copyFile"];
  export const constants: SluiceFilePromises["constants"];
}
declare module "fs/promises" {
  export * from "node:fs/promises";
  export { default } from "node:fs/promises";
}

/** Synchronous forms: each `xSync` takes what `fs/promises`'s `x` takes and returns what it resolves to. */
type SluiceSync<F> = F extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
/** Callback forms: `x(...args, (error, result) => ...)`. */
type SluiceCallback = (...args: unknown[]) => void;

/** `node:fs` (also `fs`): synchronous and callback forms, and `promises`. */
declare module "node:fs" {
  const fs: {
    promises: SluiceFilePromises;
    existsSync(path: SluicePath): boolean;
    [name: string]: unknown;
  };
  export default fs;
  export const promises: SluiceFilePromises;
  export const constants: SluiceFilePromises["constants"];
  export function existsSync(path: SluicePath): boolean;
  export const readFileSync: {
    (path: SluicePath, options?: { encoding?: null; flag?: string } | null): Uint8Array;
    (path: SluicePath, options: SluiceEncoding | { encoding: SluiceEncoding; flag?: string }): string;
  };
  export const writeFileSync: SluiceSync<SluiceFilePromises["writeFile"]>;
  export const appendFileSync: SluiceSync<SluiceFilePromises["appendFile"]>;
  export const readdirSync: {
    (path: SluicePath, options?: { withFileTypes?: false; recursive?: boolean }): string[];
    (path: SluicePath, options: { withFileTypes: true; recursive?: boolean }): SluiceDirent[];
  };
  export const statSync: SluiceSync<SluiceFilePromises["stat"]>;
  export const lstatSync: SluiceSync<SluiceFilePromises["lstat"]>;
  export const accessSync: SluiceSync<SluiceFilePromises["access"]>;
  export const mkdirSync: SluiceSync<SluiceFilePromises["mkdir"]>;
  export const rmSync: SluiceSync<SluiceFilePromises["rm"]>;
  export const rmdirSync: SluiceSync<SluiceFilePromises["rmdir"]>;
  export const unlinkSync: SluiceSync<SluiceFilePromises["unlink"]>;
  export const renameSync: SluiceSync<SluiceFilePromises["rename"]>;
  export const copyFileSync: SluiceSync<SluiceFilePromises["copyFile"]>;
  export const readFile: SluiceCallback;
  export const writeFile: SluiceCallback;
  export const appendFile: SluiceCallback;
  export const readdir: SluiceCallback;
  export const stat: SluiceCallback;
  export const lstat: SluiceCallback;
  export const access: SluiceCallback;
  export const mkdir: SluiceCallback;
  export const rm: SluiceCallback;
  export const rmdir: SluiceCallback;
  export const unlink: SluiceCallback;
  export const rename: SluiceCallback;
  export const copyFile: SluiceCallback;
  export const Stats: new (...args: never[]) => SluiceStats;
  export const Dirent: new (...args: never[]) => SluiceDirent;
}
declare module "fs" {
  export * from "node:fs";
  export { default } from "node:fs";
}

interface SluicePathModule {
  sep: "/";
  delimiter: ":";
  normalize(path: string): string;
  /** Against /workspace, the working directory. */
  resolve(...paths: string[]): string;
  join(...paths: string[]): string;
  isAbsolute(path: string): boolean;
  dirname(path: string): string;
  basename(path: string, suffix?: string): string;
  extname(path: string): string;
  relative(from: string, to: string): string;
  parse(path: string): { root: string; dir: string; base: string; ext: string; name: string };
  format(parts: { root?: string; dir?: string; base?: string; name?: string; ext?: string }): string;
  toNamespacedPath(path: string): string;
  posix: SluicePathModule;
}

/** `node:path` (also `path`, `node:path/posix`, `path/posix`): POSIX paths, cwd /workspace. */
declare module "node:path" {
  const path: SluicePathModule;
  export default path;
  export const sep: SluicePathModule["sep"];
  export const delimiter: SluicePathModule["delimiter"];
  export const normalize: SluicePathModule["normalize"];
  export const resolve: SluicePathModule["resolve"];
  export const join: SluicePathModule["join"];
  export const isAbsolute: SluicePathModule["isAbsolute"];
  export const dirname: SluicePathModule["dirname"];
  export const basename: SluicePathModule["basename"];
  export const extname: SluicePathModule["extname"];
  export const relative: SluicePathModule["relative"];
  export const parse: SluicePathModule["parse"];
  export const format: SluicePathModule["format"];
  export const toNamespacedPath: SluicePathModule["toNamespacedPath"];
  export const posix: SluicePathModule;
}
declare module "path" {
  export * from "node:path";
  export { default } from "node:path";
}
declare module "node:path/posix" {
  export * from "node:path";
  export { default } from "node:path";
}
declare module "path/posix" {
  export * from "node:path";
  export { default } from "node:path";
}
