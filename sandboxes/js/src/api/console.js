// `console`: values printed the way Node prints them, `console.table`'s box drawing, counters, timers and groups.
//
// Shares `lib.inspect(value, depth, seen)` with the other files (uncaught errors
// that are not Error objects are shown with it).
(function (native, lib) {
  'use strict';
  const { now } = native;
  const toWellFormed = String.prototype.toWellFormed;
  /** Writes text to fd 1 or 2; a lone surrogate is written as U+FFFD, as Node does. */
  const write = (fd, text) => native.write(fd, toWellFormed.call(text));
  lib.write = write;
  const MapCtor = Map;
  const getPrototypeOf = Object.getPrototypeOf;
  const objectKeys = Object.keys;
  const isArray = Array.isArray;
  const hasOwn = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

  function quote(text) {
    const escaped = text
      .replace(/\\/g, '\\\\')
      .replace(/'/g, "\\'")
      .replace(/\n/g, '\\n')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16)}`);
    return `'${escaped}'`;
  }

  // `refs` numbers the objects a circular reference points back to, as Node does:
  // `<ref *1> { self: [Circular *1] }`. `depth` counts from 0 (the value printed
  // itself, where a string shows raw); past 2, containers are named, not shown.
  function inspect(value, depth, seen, refs = new MapCtor(), maxItems = 100) {
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
    const text = inspectObject(value, depth, seen, refs, maxItems);
    return refs.has(value) ? `<ref *${refs.get(value)}> ${text}` : text;
  }

  function items(list, maxItems, show) {
    const shown = list.slice(0, maxItems).map(show);
    const more = list.length - maxItems;
    if (more > 0) shown.push(`... ${more} more item${more > 1 ? 's' : ''}`);
    return shown;
  }

  function inspectObject(value, depth, seen, refs, maxItems) {
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
    const show = (v) => inspect(v, depth + 1, inner, refs, maxItems);
    if (isArray(value)) {
      const shown = items(value, maxItems, show);
      return shown.length ? `[ ${shown.join(', ')} ]` : '[]';
    }
    if (value instanceof Map) {
      const shown = items([...value], maxItems, ([k, v]) => `${show(k)} => ${show(v)}`);
      return `Map(${value.size}) {${shown.length ? ` ${shown.join(', ')} ` : ''}}`;
    }
    if (value instanceof Set) {
      const shown = items([...value], maxItems, show);
      return `Set(${value.size}) {${shown.length ? ` ${shown.join(', ')} ` : ''}}`;
    }
    if (value instanceof Date) return isNaN(value) ? 'Invalid Date' : value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (value instanceof Promise) return 'Promise { <pending> }';
    if (lib.inspectCustom) {
      const custom = lib.inspectCustom(value, show);
      if (custom !== undefined) return custom;
    }
    const keys = objectKeys(value);
    const entries = items(keys, maxItems, (key) => {
      const name = /^[A-Za-z_$][\w$]*$/.test(key) ? key : quote(key);
      return `${name}: ${show(value[key])}`;
    });
    const proto = getPrototypeOf(value);
    const tag = proto === null ? '[Object: null prototype] ' : proto.constructor && proto.constructor.name && proto.constructor !== Object ? `${proto.constructor.name} ` : '';
    return entries.length ? `${tag}{ ${entries.join(', ')} }` : `${tag}{}`;
  }
  lib.inspect = inspect;

  // Node's printf-like directives in a first string argument: %s %d %i %f %j %o %O %c %%.
  function formatDirectives(args) {
    const [first] = args;
    if (typeof first !== 'string' || args.length < 2 || !first.includes('%')) return args;
    let next = 1;
    const text = first.replace(/%([sdifjoOc%])/g, (directive, kind) => {
      if (kind === '%') return '%';
      if (next >= args.length) return directive;
      const arg = args[next++];
      switch (kind) {
        case 's':
          return typeof arg === 'string' ? arg : typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'symbol' ? String(arg) : inspect(arg, 1, []);
        case 'd':
          return typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'symbol' ? 'NaN' : inspect(Number(arg), 1, []);
        case 'i':
          return typeof arg === 'bigint' ? `${arg}n` : typeof arg === 'symbol' ? 'NaN' : String(parseInt(arg));
        case 'f':
          return typeof arg === 'symbol' ? 'NaN' : String(parseFloat(arg));
        case 'j':
          try {
            return JSON.stringify(arg);
          } catch {
            return '[Circular]';
          }
        case 'c':
          return '';
        default:
          return inspect(arg, 1, []);
      }
    });
    return [text, ...args.slice(next)];
  }

  let indent = '';
  function format(args) {
    const text = formatDirectives(args).map((arg) => inspect(arg, 0, [])).join(' ');
    return (indent ? indent + text.replace(/\n/g, `\n${indent}`) : text) + '\n';
  }

  // ----- console.table, as Node draws it -----

  // Columns a character takes in a terminal: East Asian wide characters take two, combining marks none.
  function width(text) {
    let columns = 0;
    for (const char of text) {
      const code = char.codePointAt(0);
      if (/\p{M}/u.test(char) || code === 0x200b) continue;
      const wide =
        (code >= 0x1100 && code <= 0x115f) ||
        (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
        (code >= 0xac00 && code <= 0xd7a3) ||
        (code >= 0xf900 && code <= 0xfaff) ||
        (code >= 0xfe30 && code <= 0xfe4f) ||
        (code >= 0xff00 && code <= 0xff60) ||
        (code >= 0xffe0 && code <= 0xffe6) ||
        (code >= 0x1f300 && code <= 0x1f64f) ||
        (code >= 0x1f900 && code <= 0x1f9ff) ||
        (code >= 0x20000 && code <= 0x3fffd);
      columns += wide ? 2 : 1;
    }
    return columns;
  }

  function drawTable(head, columns) {
    const widths = head.map(width);
    const rowCount = Math.max(0, ...columns.map((column) => column.length));
    const rows = [];
    for (let i = 0; i < head.length; i++) {
      for (let j = 0; j < rowCount; j++) {
        if (rows[j] === undefined) rows[j] = [];
        const cell = (rows[j][i] = hasOwn(columns[i], j) ? columns[i][j] : '');
        widths[i] = Math.max(widths[i], width(cell));
      }
    }
    const renderRow = (row) => `│ ${row.map((cell, i) => cell + ' '.repeat(widths[i] - width(cell))).join(' │ ')} │`;
    const divider = widths.map((w) => '─'.repeat(w + 2));
    const lines = [`┌${divider.join('┬')}┐`, renderRow(head), `├${divider.join('┼')}┤`];
    for (const row of rows) lines.push(renderRow(row));
    lines.push(`└${divider.join('┴')}┘`);
    return lines.join('\n');
  }

  // A cell: objects with more than two keys are only named, arrays show three items.
  function cell(value) {
    const depth = value !== null && typeof value === 'object' && !isArray(value) && objectKeys(value).length > 2 ? 3 : 2;
    return inspect(value, depth, [], new MapCtor(), 3);
  }

  function table(data, properties) {
    if (properties !== undefined && !isArray(properties)) {
      throw new TypeError('The "properties" argument of console.table must be an array of column names');
    }
    if (data === null || typeof data !== 'object') return format([data]);
    const indexes = (length) => Array.from({ length }, (_, i) => cell(i));
    if (data instanceof Map) {
      const keys = [];
      const values = [];
      for (const [k, v] of data) {
        keys.push(cell(k));
        values.push(cell(v));
      }
      return format([drawTable(['(iteration index)', 'Key', 'Values'], [indexes(keys.length), keys, values])]);
    }
    if (data instanceof Set) {
      const values = [];
      for (const v of data) values.push(cell(v));
      return format([drawTable(['(iteration index)', 'Values'], [indexes(values.length), values])]);
    }
    const columns = Object.create(null);
    const primitives = [];
    let hasPrimitives = false;
    const rowKeys = objectKeys(data);
    rowKeys.forEach((rowKey, i) => {
      const item = data[rowKey];
      const primitive = item === null || (typeof item !== 'function' && typeof item !== 'object');
      if (properties === undefined && primitive) {
        hasPrimitives = true;
        primitives[i] = cell(item);
        return;
      }
      for (const key of properties || objectKeys(item)) {
        columns[key] ??= [];
        columns[key][i] = (primitive && properties) || !hasOwn(item, key) ? '' : cell(item[key]);
      }
    });
    const head = ['(index)', ...objectKeys(columns)];
    const values = [rowKeys, ...Object.values(columns)];
    if (hasPrimitives) {
      head.push('Values');
      values.push(primitives);
    }
    return format([drawTable(head, values)]);
  }

  // ----- counters, timers, groups -----

  const counts = new MapCtor();
  const timers = new MapCtor();
  const label = (value) => (value === undefined ? 'default' : `${value}`);
  function elapsed(name) {
    const ms = now() - timers.get(name);
    return ms >= 1000 ? `${(ms / 1000).toFixed(3)}s` : `${ms.toFixed(3)}ms`;
  }

  const out = (...args) => write(1, format(args));
  const err = (...args) => write(2, format(args));
  const console = Object.freeze({
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    dir: (value) => write(1, format([value])),
    table: (data, properties) => write(1, table(data, properties)),
    trace(...args) {
      const stack = new Error().stack.split('\n').slice(1).join('\n').trimEnd();
      write(2, format([`Trace${args.length ? ': ' : ''}${formatDirectives(args).map((a) => inspect(a, 0, [])).join(' ')}${stack ? `\n${stack}` : ''}`]));
    },
    assert(condition, ...args) {
      if (condition) return;
      const rest = formatDirectives(args);
      if (typeof rest[0] === 'string') rest[0] = `Assertion failed: ${rest[0]}`;
      else rest.unshift('Assertion failed');
      write(2, format(rest));
    },
    count(name) {
      const key = label(name);
      const count = (counts.get(key) || 0) + 1;
      counts.set(key, count);
      write(1, format([`${key}: ${count}`]));
    },
    countReset(name) {
      counts.delete(label(name));
    },
    time(name) {
      timers.set(label(name), now());
    },
    timeLog(name, ...args) {
      const key = label(name);
      if (!timers.has(key)) return write(2, format([`Warning: No such label '${key}' for console.timeLog()`]));
      write(1, format([`${key}: ${elapsed(key)}`, ...args]));
    },
    timeEnd(name) {
      const key = label(name);
      if (!timers.has(key)) return write(2, format([`Warning: No such label '${key}' for console.timeEnd()`]));
      write(1, format([`${key}: ${elapsed(key)}`]));
      timers.delete(key);
    },
    group(...args) {
      if (args.length) out(...args);
      indent += '  ';
    },
    groupCollapsed(...args) {
      if (args.length) out(...args);
      indent += '  ';
    },
    groupEnd() {
      indent = indent.slice(0, -2);
    },
  });

  lib.expose({ console });
});
