// The JavaScript and TypeScript API of Sluice programs: what a program finds in its global scope.
//
// A program is an ES module: top-level `await` works, and it may `import` files
// from /workspace (relative paths, e.g. `./helpers.js`), and nothing else. There
// is no network, no `process`, and no Node or browser API beyond what is below
// and standard JavaScript (ES2023, as QuickJS implements it).

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

/** Discovery: find tools without loading every definition up front. */
declare const sluice: {
  /** The servers on offer, with one line each. Loads no tool definitions. */
  servers(): Promise<Array<{ name: string; summary: string }>>;

  /**
   * Tools matching `query` across every server, best first (BM25 over names, titles,
   * descriptions and parameter names).
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
};

/** Why a tool call (or a discovery call) gave no usable result. */
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
 * Output, formatted the way Node formats it, on one line per call: strings as they are,
 * other values inspected (`{ a: 1, b: 'x' }`, `[ 1, 2 ]`, `Map(1) { ... }`), objects past
 * depth 2 shown as `[Object]`. `log`, `info` and `debug` write to stdout; `warn` and
 * `error` to stderr. Output past the run's cap is dropped (and the run says so).
 */
declare const console: {
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  debug(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
};

/** Only `getRandomValues`, from the host's secure random source (fresh on every run). */
declare const crypto: {
  getRandomValues<T extends Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array>(
    array: T,
  ): T;
};

/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function fetch(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function XMLHttpRequest(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function WebSocket(...args: unknown[]): never;
/** Not available: programs have no network. Throws a TypeError that points at `tools`. */
declare function EventSource(...args: unknown[]): never;
