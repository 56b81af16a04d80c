// The agent-facing core of Sluice's JavaScript API: `tools`, `sluice`, `ToolError`, `crypto`, the refusals of `fetch` and friends, and the hooks the event loop calls.
//
// Every file in this directory is a function of `(native, lib)`, evaluated once
// when the interpreter is initialised (so its work is in the snapshot, not in a
// run's start-up), in the order `main.rs` lists them; this one comes first.
// `native` holds the Rust bindings; `lib` is shared among the files and never
// reaches a program. Everything the host path relies on (JSON, Map, Promise, the
// pending-operation table) is captured here, before any program runs, so a
// program that replaces `JSON`, `tools` or `Object.prototype` only breaks itself.
// Hooks for the event loop: `lib.settle(handle, status, payload, form)` resolves an
// operation's promise (`form` says whether the payload is JSON text, parsed, or the value); `lib.describeError(value)` formats an uncaught error with
// its stack; `lib.begin(name, args)` starts a run.
(function (native, lib) {
  'use strict';
  const { start, random, secureRandom32, now, captureSite, formatSite } = native;
  const isView = ArrayBuffer.isView;
  const Uint8ArrayCtor = Uint8Array;
  const JSONparse = JSON.parse;
  const JSONstringify = JSON.stringify;
  const MapCtor = Map;
  const PromiseCtor = Promise;
  const ObjectFreeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const isArray = Array.isArray;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const pending = new MapCtor();

  const STATUS_OK = 0;
  const STATUS_TOOL_ERROR = 1;

  /** Defines globals the way the engine defines its own: writable, configurable, not enumerable. */
  lib.expose = function expose(globals) {
    for (const name of Object.keys(globals)) {
      defineProperty(globalThis, name, { value: globals[name], writable: true, configurable: true, enumerable: false });
    }
  };

  /** A tool call or discovery operation that produced no usable result. Its stack
   *  is where the program started the operation (the prelude's frames left out). */
  class ToolError extends Error {
    constructor(server, tool, kind, message, content) {
      super(`${server}.${tool}: ${message}`);
      defineProperty(this, 'stack', { value: '', writable: true, configurable: true });
      this.name = 'ToolError';
      this.server = server;
      this.tool = tool;
      this.kind = kind;
      this.content = content;
    }
  }

  function valueOf(result) {
    if (result.structuredContent !== undefined) return result.structuredContent;
    const content = result.content || [];
    if (content.length === 1 && content[0] && content[0].type === 'text') {
      const text = content[0].text;
      try {
        return JSONparse(text);
      } catch {
        return text;
      }
    }
    return content;
  }

  function textOf(content) {
    const texts = [];
    for (const block of content || []) if (block && typeof block.text === 'string') texts.push(block.text);
    return texts.join('\n');
  }

  /**
   * Where the program started an operation: the stack, kept as its frames
   * (`site.rs`), as `new Error().stack` here would describe it. Written out by
   * `siteText` only if the operation fails.
   */
  function callSite() {
    return captureSite();
  }

  /** The program's own frames of a captured stack, as text. */
  function siteText(site) {
    const stack = formatSite(site);
    const frames = [];
    // The prelude is evaluated as `eval_script`; the program's files keep their names.
    for (const line of stack.split('\n')) if (line && !line.includes('eval_script')) frames.push(line);
    return frames.join('\n');
  }

  function fail(entry, kind, message, content) {
    const error = new ToolError(entry.server, entry.tool, kind, message, content);
    defineProperty(error, 'stack', { value: siteText(entry.site), writable: true, configurable: true });
    entry.reject(error);
  }

  // How `settle` is given a payload (json.rs's `Form`): its JSON text, the
  // result already parsed, a tool call's value itself (its text block was
  // JSON), or why the result cannot be read.
  const FORM_TEXT = 0;
  const FORM_VALUE = 2;
  const FORM_UNREADABLE = 3;

  lib.settle = function settle(handle, status, payload, form) {
    const entry = mapGet.call(pending, handle);
    if (entry === undefined) return;
    mapDelete.call(pending, handle);
    if (form === FORM_VALUE) {
      entry.resolve(payload);
      return;
    }
    if (form === FORM_UNREADABLE) {
      fail(entry, 'server_error', `unreadable result: ${payload}`, []);
      return;
    }
    let parsed = payload;
    if (form === FORM_TEXT) {
      try {
        parsed = JSONparse(payload);
      } catch (error) {
        fail(entry, 'server_error', `unreadable result: ${error.message}`, []);
        return;
      }
    }
    if (status === STATUS_OK) {
      entry.resolve(entry.decode(parsed));
    } else if (status === STATUS_TOOL_ERROR) {
      const content = parsed.content || [];
      fail(entry, 'tool_reported', textOf(content) || 'the tool reported an error', content);
    } else {
      fail(entry, parsed.kind, parsed.message, []);
    }
  };

  function operation(server, tool, decode, kind, a = '', b = '', c = '') {
    const site = callSite();
    const handle = start(kind, a, b, c);
    return new PromiseCtor((resolve, reject) => {
      mapSet.call(pending, handle, { resolve, reject, decode, server, tool, site });
    });
  }

  function callTool(server, tool, args) {
    if (args === undefined || args === null) args = {};
    if (typeof args !== 'object' || isArray(args)) {
      return PromiseCtor.reject(new TypeError(`tools.${server}.${tool}() takes one object of arguments`));
    }
    return operation(server, tool, valueOf, 'call', server, tool, JSONstringify(args));
  }

  function serverProxy(server) {
    return new Proxy(ObjectFreeze({}), {
      get(_, tool) {
        // `then` must stay undefined so that `await tools.server` is not a thenable.
        if (typeof tool !== 'string' || tool === 'then') return undefined;
        return (args) => callTool(server, tool, args);
      },
    });
  }

  const tools = new Proxy(ObjectFreeze({}), {
    get(_, server) {
      if (typeof server !== 'string' || server === 'then') return undefined;
      return serverProxy(server);
    },
  });

  // The run's program name and arguments (`sluice run prog.js -- a b`), set by `begin`.
  lib.run = { name: 'main.js', args: [], timeOrigin: 0 };
  lib.begin = function begin(name, args) {
    lib.run = { name, args, timeOrigin: Date.now() - now() };
  };

  // The engine's `performance` counts from when the interpreter was built; this one from the run's start.
  const performance = ObjectFreeze({
    /** Milliseconds since the run started, from the monotonic clock. */
    now,
    /** When the run started, in milliseconds since the Unix epoch. */
    get timeOrigin() {
      return lib.run.timeOrigin;
    },
  });

  const identity = (value) => value;
  const sluice = ObjectFreeze({
    /** The program's arguments: what followed `--` on the command line. */
    get args() {
      return lib.run.args;
    },
    /** The servers on offer: [{name, summary}]. Loads no tool definitions. */
    servers: () => operation('sluice', 'servers', identity, 'servers'),
    /** Tools matching `query`, best first. options: {limit, detail: "name"|"summary"|"full"}. */
    search(query, options) {
      const request = { query: String(query) };
      if (options && options.limit !== undefined) request.limit = options.limit;
      if (options && options.detail !== undefined) request.detail = options.detail;
      return operation('sluice', 'search', identity, 'search', JSONstringify(request));
    },
    /** One tool's TypeScript declaration: its signature, with the description as doc comment. */
    describe: (server, tool) =>
      operation(String(server), String(tool), (description) => description.typescript, 'describe', String(server), String(tool)),
  });

  // ----- no network: tools are the way out -----

  function refuse(name) {
    return function () {
      throw new TypeError(`${name} is not available in Sluice: programs have no network. Call a tool instead: await tools.<server>.<tool>(args); sluice.search('...') finds one.`);
    };
  }

  // ----- crypto: the host's secure random source, fresh on every run -----

  function fillRandom(bytes) {
    for (let i = 0; i < bytes.length; i += 4) {
      const word = secureRandom32();
      for (let j = 0; j < 4 && i + j < bytes.length; j++) bytes[i + j] = (word >>> (8 * j)) & 255;
    }
  }

  const hex = [];
  for (let i = 0; i < 256; i++) hex.push((i < 16 ? '0' : '') + i.toString(16));

  const crypto = ObjectFreeze({
    /** Fills an integer typed array with cryptographically secure random values. */
    getRandomValues(array) {
      if (!isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
        throw new TypeError('crypto.getRandomValues expects an integer typed array');
      }
      if (array.byteLength > 65536) throw new RangeError('crypto.getRandomValues fills at most 65536 bytes at a time');
      fillRandom(new Uint8ArrayCtor(array.buffer, array.byteOffset, array.byteLength));
      return array;
    },
    /** A random (version 4) UUID, such as '3b241101-e2bb-4255-8caf-4136c566a962'. */
    randomUUID() {
      const b = new Uint8ArrayCtor(16);
      fillRandom(b);
      b[6] = (b[6] & 0x0f) | 0x40;
      b[8] = (b[8] & 0x3f) | 0x80;
      const h = (i) => hex[b[i]];
      return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
    },
  });

  lib.expose({
    tools,
    sluice,
    ToolError,
    fetch: refuse('fetch'),
    XMLHttpRequest: refuse('XMLHttpRequest'),
    WebSocket: refuse('WebSocket'),
    EventSource: refuse('EventSource'),
    crypto,
    performance,
  });
  Math.random = random;

  // Names programs written for Node or a browser reach for, and what to use in Sluice.
  // An uncaught `ReferenceError: X is not defined` for one of them says so.
  const hints = {
    require: 'Sluice programs are ES modules: use `import { x } from "./file.js"` for your own files in /workspace, and `import { readFile } from "node:fs/promises"` (or node:fs, node:path) for files; there are no npm packages and no other Node built-in modules (tools do the I/O)',
    module: 'Sluice programs are ES modules: use `export` instead of module.exports',
    exports: 'Sluice programs are ES modules: use `export` instead of exports.x = ...',
    __dirname: 'ES modules have no __dirname: a run\'s workspace (when it has one) is /workspace, so use paths such as "/workspace/data.json"',
    __filename: 'ES modules have no __filename: process.argv[1] is the program\'s name',
    Buffer: 'Buffer is a Node API: use Uint8Array for bytes, TextEncoder/TextDecoder for text <-> bytes, and btoa/atob for base64',
    global: 'Node\'s global is called globalThis',
    window: 'Sluice is not a browser: the global object is globalThis',
    document: 'Sluice is not a browser and has no DOM: get data from tools (sluice.search finds one)',
    navigator: 'Sluice is not a browser and has no navigator',
    localStorage: 'Sluice has no localStorage: keep data in variables, or in files under /workspace when the run has one',
    sessionStorage: 'Sluice has no sessionStorage: keep data in variables',
    location: 'Sluice is not a browser and has no page location; new URL(...) parses URLs',
    alert: 'Sluice is not a browser: print with console.log',
    prompt: 'Sluice is not a browser: pass input as program arguments (sluice.args)',
    Deno: 'this is Sluice, not Deno: guest-sdk/sluice.d.ts lists what exists',
    Bun: 'this is Sluice, not Bun: guest-sdk/sluice.d.ts lists what exists',
  };

  /** What to use instead of the missing global an error names, if Sluice knows. */
  lib.hintFor = function hintFor(error) {
    if (!(error instanceof ReferenceError) || typeof error.message !== 'string') return '';
    const match = /^'?([A-Za-z_$][\w$]*)'? is not defined$/.exec(error.message);
    return match && Object.prototype.hasOwnProperty.call(hints, match[1]) ? hints[match[1]] : '';
  };

  lib.describeError = function describeError(error) {
    if (error instanceof Error) {
      const stack = typeof error.stack === 'string' ? error.stack.trimEnd() : '';
      const hint = lib.hintFor(error);
      return `${error.name}: ${error.message}${hint ? ` (${hint})` : ''}${stack ? `\n${stack}` : ''}`;
    }
    return lib.inspect(error, 1, []);
  };
});
