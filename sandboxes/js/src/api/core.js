// The agent-facing JavaScript API of Sluice: `tools`, `sluice`, `console`, `ToolError`, and the refusals of `fetch` and friends.
//
// Evaluated once when the interpreter is initialised, as a function of the
// native bindings. Everything the host path relies on (JSON, Map, Promise, the
// pending-operation table) is captured here, before any program runs, so a
// program that replaces `JSON`, `tools` or `Object.prototype` only breaks itself.
// Returns `{settle, describeError}` for the event loop: `settle(handle, status,
// payloadText)` resolves an operation's promise; `describeError(value)` formats
// an uncaught error with its stack.
(function (native) {
  'use strict';
  const { start, write, random, secureRandom32 } = native;
  const isView = ArrayBuffer.isView;
  const Uint8ArrayCtor = Uint8Array;
  const JSONparse = JSON.parse;
  const JSONstringify = JSON.stringify;
  const MapCtor = Map;
  const PromiseCtor = Promise;
  const ObjectFreeze = Object.freeze;
  const defineProperty = Object.defineProperty;
  const getPrototypeOf = Object.getPrototypeOf;
  const objectKeys = Object.keys;
  const isArray = Array.isArray;
  const mapGet = Map.prototype.get;
  const mapSet = Map.prototype.set;
  const mapDelete = Map.prototype.delete;
  const pending = new MapCtor();

  const STATUS_OK = 0;
  const STATUS_TOOL_ERROR = 1;

  /** A tool call or discovery operation that produced no usable result. It has no
   *  stack: the host raises it, and the prelude's own frames would only be noise. */
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

  function settle(handle, status, payload) {
    const entry = mapGet.call(pending, handle);
    if (entry === undefined) return;
    mapDelete.call(pending, handle);
    let parsed;
    try {
      parsed = JSONparse(payload);
    } catch (error) {
      entry.reject(new ToolError(entry.server, entry.tool, 'server_error', `unreadable result: ${error.message}`, []));
      return;
    }
    if (status === STATUS_OK) {
      entry.resolve(entry.decode(parsed));
    } else if (status === STATUS_TOOL_ERROR) {
      const content = parsed.content || [];
      entry.reject(new ToolError(entry.server, entry.tool, 'tool_reported', textOf(content) || 'the tool reported an error', content));
    } else {
      entry.reject(new ToolError(entry.server, entry.tool, parsed.kind, parsed.message, []));
    }
  }

  function operation(server, tool, decode, kind, a = '', b = '', c = '') {
    const handle = start(kind, a, b, c);
    return new PromiseCtor((resolve, reject) => {
      mapSet.call(pending, handle, { resolve, reject, decode, server, tool });
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

  const identity = (value) => value;
  const sluice = ObjectFreeze({
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

  // ----- console: values printed the way Node prints them, on one line -----

  function quote(text) {
    return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  }

  // `refs` numbers the objects a circular reference points back to, as Node does:
  // `<ref *1> { self: [Circular *1] }`.
  function inspect(value, depth, seen, refs = new MapCtor()) {
    switch (typeof value) {
      case 'string':
        return depth === 0 ? value : quote(value);
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return `${value}n`;
      case 'boolean':
      case 'undefined':
        return String(value);
      case 'symbol':
        return value.toString();
      case 'function':
        return value.name ? `[Function: ${value.name}]` : '[Function (anonymous)]';
    }
    if (value === null) return 'null';
    if (seen.includes(value)) {
      if (!refs.has(value)) refs.set(value, refs.size + 1);
      return `[Circular *${refs.get(value)}]`;
    }
    const text = inspectObject(value, depth, seen, refs);
    return refs.has(value) ? `<ref *${refs.get(value)}> ${text}` : text;
  }

  function inspectObject(value, depth, seen, refs) {
    if (value instanceof Error) return depth === 0 && value.stack ? `${value.name}: ${value.message}\n${value.stack}`.trimEnd() : `[${value.name}: ${value.message}]`;
    if (depth > 2) {
      // Like Node: past depth 2, non-empty containers are named, not shown.
      if (isArray(value)) return value.length ? '[Array]' : '[]';
      if (objectKeys(value).length === 0) return '{}';
      const proto = getPrototypeOf(value);
      const ctor = proto && proto.constructor && proto.constructor.name;
      return `[${ctor || 'Object'}]`;
    }
    const inner = seen.concat([value]);
    const show = (v) => inspect(v, depth + 1, inner, refs);
    if (isArray(value)) {
      const items = value.slice(0, 100).map(show);
      if (value.length > 100) items.push(`... ${value.length - 100} more items`);
      return items.length ? `[ ${items.join(', ')} ]` : '[]';
    }
    if (value instanceof Map) {
      const items = [...value].slice(0, 100).map(([k, v]) => `${show(k)} => ${show(v)}`);
      return `Map(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`;
    }
    if (value instanceof Set) {
      const items = [...value].slice(0, 100).map(show);
      return `Set(${value.size}) {${items.length ? ` ${items.join(', ')} ` : ''}}`;
    }
    if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Promise) return 'Promise { <pending> }';
    const keys = objectKeys(value);
    const entries = keys.slice(0, 100).map((key) => {
      const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
      return `${name}: ${show(value[key])}`;
    });
    if (keys.length > 100) entries.push(`... ${keys.length - 100} more items`);
    const proto = getPrototypeOf(value);
    const tag = proto === null ? '[Object: null prototype] ' : proto.constructor && proto.constructor.name && proto.constructor !== Object ? `${proto.constructor.name} ` : '';
    return entries.length ? `${tag}{ ${entries.join(', ')} }` : `${tag}{}`;
  }

  function format(args) {
    return args.map((arg) => inspect(arg, 0, [])).join(' ') + '\n';
  }

  const console = ObjectFreeze({
    log: (...args) => write(1, format(args)),
    info: (...args) => write(1, format(args)),
    debug: (...args) => write(1, format(args)),
    warn: (...args) => write(2, format(args)),
    error: (...args) => write(2, format(args)),
  });

  // ----- no network: tools are the way out -----

  function refuse(name) {
    return function () {
      throw new TypeError(`${name} is not available in Sluice: programs have no network. Call a tool instead: await tools.<server>.<tool>(args); sluice.search('...') finds one.`);
    };
  }

  const globals = {
    tools,
    sluice,
    console,
    ToolError,
    fetch: refuse('fetch'),
    XMLHttpRequest: refuse('XMLHttpRequest'),
    WebSocket: refuse('WebSocket'),
    EventSource: refuse('EventSource'),
    crypto: ObjectFreeze({
      /** Fills an integer typed array with cryptographically secure random values. */
      getRandomValues(array) {
        if (!isView(array) || array instanceof Float32Array || array instanceof Float64Array || array instanceof DataView) {
          throw new TypeError('crypto.getRandomValues expects an integer typed array');
        }
        if (array.byteLength > 65536) throw new RangeError('crypto.getRandomValues fills at most 65536 bytes at a time');
        const bytes = new Uint8ArrayCtor(array.buffer, array.byteOffset, array.byteLength);
        for (let i = 0; i < bytes.length; i += 4) {
          const word = secureRandom32();
          for (let j = 0; j < 4 && i + j < bytes.length; j++) bytes[i + j] = (word >>> (8 * j)) & 255;
        }
        return array;
      },
    }),
  };
  for (const name of objectKeys(globals)) {
    defineProperty(globalThis, name, { value: globals[name], writable: true, configurable: true, enumerable: false });
  }
  Math.random = random;

  function describeError(error) {
    if (error instanceof Error) {
      const stack = typeof error.stack === 'string' ? error.stack.trimEnd() : '';
      return `${error.name}: ${error.message}${stack ? `\n${stack}` : ''}`;
    }
    return inspect(error, 1, []);
  }

  return { settle, describeError };
});
