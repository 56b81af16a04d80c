// Node's `path` module (POSIX), importable as 'node:path' or 'path'; the working directory is /workspace.
//
// `lib.normalizePath(p)` and `lib.resolvePath(p)` serve `fs.js` too. Registers
// the module in `lib.builtins`, which `modules.rs` imports from.
(function (native, lib) {
  'use strict';
  const CWD = '/workspace';

  function check(value, name) {
    if (typeof value !== 'string') {
      const error = new TypeError(`The "${name}" argument must be of type string. Received ${lib.inspect(value, 0, [])}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
  }

  /** `.` and `..` resolved, repeated slashes collapsed; `..` above the root of an absolute path is dropped. */
  function normalizeParts(path, absolute) {
    const out = [];
    for (const part of path.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
        else if (!absolute) out.push('..');
      } else {
        out.push(part);
      }
    }
    return out.join('/');
  }

  function normalize(path) {
    check(path, 'path');
    if (path === '') return '.';
    const absolute = path.startsWith('/');
    const trailing = path.endsWith('/');
    let result = normalizeParts(path, absolute);
    if (result === '' && !absolute) result = '.';
    if (result !== '' && trailing) result += '/';
    return absolute ? `/${result}` : result;
  }

  function resolve(...paths) {
    let resolved = '';
    let absolute = false;
    for (let i = paths.length - 1; i >= -1 && !absolute; i--) {
      const path = i >= 0 ? paths[i] : CWD;
      check(path, `paths[${i}]`);
      if (path === '') continue;
      resolved = resolved === '' ? path : `${path}/${resolved}`;
      absolute = path.startsWith('/');
    }
    const result = normalizeParts(resolved, true);
    return `/${result}`;
  }

  function join(...paths) {
    if (paths.length === 0) return '.';
    for (let i = 0; i < paths.length; i++) check(paths[i], `paths[${i}]`);
    const joined = paths.filter((p) => p !== '').join('/');
    return joined === '' ? '.' : normalize(joined);
  }

  function isAbsolute(path) {
    check(path, 'path');
    return path.startsWith('/');
  }

  /** The path without trailing slashes (but `/` stays `/`). */
  function trimTrailing(path) {
    let end = path.length;
    while (end > 1 && path[end - 1] === '/') end--;
    return path.slice(0, end);
  }

  function dirname(path) {
    check(path, 'path');
    if (path === '') return '.';
    const trimmed = trimTrailing(path);
    const slash = trimmed.lastIndexOf('/');
    if (slash === -1) return '.';
    if (slash === 0) return '/';
    return trimTrailing(trimmed.slice(0, slash));
  }

  function basename(path, suffix) {
    check(path, 'path');
    if (suffix !== undefined) check(suffix, 'suffix');
    const trimmed = trimTrailing(path);
    if (trimmed === '/') return '';
    let base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    // Node keeps a name equal to the suffix only when the path has a slash (`/a/x.txt`, not `x.txt`).
    if (suffix !== undefined && base.endsWith(suffix) && (suffix !== base || !path.includes('/'))) {
      base = base.slice(0, base.length - suffix.length);
    }
    return base;
  }

  function extname(path) {
    check(path, 'path');
    const base = basename(path);
    const dot = base.lastIndexOf('.');
    if (dot <= 0 || (dot === 1 && base === '..')) return '';
    return base.slice(dot);
  }

  function relative(from, to) {
    check(from, 'from');
    check(to, 'to');
    const a = resolve(from).split('/').filter(Boolean);
    const b = resolve(to).split('/').filter(Boolean);
    let common = 0;
    while (common < a.length && common < b.length && a[common] === b[common]) common++;
    return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
  }

  function parse(path) {
    check(path, 'path');
    const root = path.startsWith('/') ? '/' : '';
    const base = basename(path);
    const ext = extname(path);
    let dir = dirname(path);
    if (dir === '.' && !path.includes('/')) dir = '';
    return { root, dir, base, ext, name: ext ? base.slice(0, base.length - ext.length) : base };
  }

  function format(parts) {
    if (parts === null || typeof parts !== 'object') {
      throw new TypeError(`The "pathObject" argument must be of type object. Received ${lib.inspect(parts, 0, [])}`);
    }
    const dir = parts.dir || parts.root || '';
    const base = parts.base || `${parts.name || ''}${parts.ext ? (parts.ext.startsWith('.') ? '' : '.') + parts.ext : ''}`;
    if (!dir) return base;
    return dir === parts.root ? `${dir}${base}` : `${dir}/${base}`;
  }

  const path = {
    sep: '/',
    delimiter: ':',
    normalize,
    resolve,
    join,
    isAbsolute,
    dirname,
    basename,
    extname,
    relative,
    parse,
    format,
    toNamespacedPath: (p) => p,
  };
  path.posix = path;
  Object.freeze(path);

  lib.normalizePath = normalize;
  lib.resolvePath = (p) => resolve(p);
  lib.builtins = lib.builtins || {};
  lib.builtins['node:path'] = path;
});
