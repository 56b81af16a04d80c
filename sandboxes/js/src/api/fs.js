// Files in /workspace (and /skills): Node's `fs` and `fs/promises` subset ('node:fs', 'node:fs/promises'), `sluice.fs` with readJSON/writeJSON, and `sluice.skills()`.
//
// Every call is a synchronous WASI call (the natives in `fs.rs`), metered and
// policed by the host's workspace guards like any other; the promise API only
// defers the answer, as Node's does. Paths resolve against /workspace and must
// stay under /workspace or /skills. Errors have Node's shape: `code`,
// `errno`, `syscall`, `path` (as the program gave it) and Node's message.
(function (native, lib) {
  'use strict';
  const { fsRoot, fsReadBytes, fsReadText, fsWrite, fsReaddir, fsStat, fsMkdir, fsRemove, fsRename, fsCopy } = native;
  const PromiseCtor = Promise;
  const isView = ArrayBuffer.isView;
  const fromCharCode = String.fromCharCode;
  const ROOTS = ['/workspace', '/skills'];
  const defineProperty = Object.defineProperty;

  // Node's texts and (Linux) errno numbers for the codes WASI can give.
  const ERRORS = {
    EACCES: [-13, 'permission denied'],
    EBADF: [-9, 'bad file descriptor'],
    EDQUOT: [-122, 'disk quota exceeded'],
    EEXIST: [-17, 'file already exists'],
    EFBIG: [-27, 'file too large'],
    EINVAL: [-22, 'invalid argument'],
    EIO: [-5, 'i/o error'],
    EISDIR: [-21, 'illegal operation on a directory'],
    ELOOP: [-40, 'too many symbolic links encountered'],
    EMFILE: [-24, 'too many open files'],
    ENAMETOOLONG: [-36, 'name too long'],
    ENOENT: [-2, 'no such file or directory'],
    ENOSPC: [-28, 'no space left on device'],
    ENOTDIR: [-20, 'not a directory'],
    ENOTEMPTY: [-39, 'directory not empty'],
    ENOTSUP: [-95, 'operation not supported on socket'],
    EPERM: [-1, 'operation not permitted'],
    EROFS: [-30, 'read-only file system'],
    EXDEV: [-18, 'cross-device link not permitted'],
  };

  const MISSING_ROOT = {
    '/workspace':
      'this run has no workspace: its host granted no directory. `sluice run` and `sluice serve` give every program a /workspace; an embedder grants one with ExecutionPolicy::with_workspace',
    '/skills':
      'this run has no /skills directory: start it with `sluice run --skills DIR` (or `sluice serve --skills DIR`) to mount a directory of saved helpers there',
  };

  /** Drops the API's own frames (and the promise machinery's) from `error.stack`: the program's are what matter. */
  function programFrames(error) {
    if (typeof error.stack === 'string') {
      const frames = error.stack.split('\n').filter((line) => !line.includes('(eval_script:') && !line.includes('Promise (native)'));
      defineProperty(error, 'stack', { value: frames.join('\n'), writable: true, configurable: true });
    }
    return error;
  }

  /** An error shaped as Node's for a failed system call. */
  function systemError(code, syscall, path, dest, hint) {
    const [errno, text] = ERRORS[code] || [-5, code.toLowerCase()];
    let message = `${code}: ${text}, ${syscall}`;
    if (path !== undefined) message += ` '${path}'`;
    if (dest !== undefined) message += ` -> '${dest}'`;
    if (hint) message += ` (${hint})`;
    const error = new Error(message);
    error.errno = errno;
    error.code = code;
    error.syscall = syscall;
    if (path !== undefined) error.path = path;
    if (dest !== undefined) error.dest = dest;
    return programFrames(error);
  }

  function typeError(code, message) {
    const error = new TypeError(message);
    error.code = code;
    return programFrames(error);
  }

  function received(value) {
    if (value === null || value === undefined) return `Received ${value}`;
    if (typeof value === 'function') return `Received function ${value.name}`;
    if (typeof value === 'object') return `Received an instance of ${value.constructor?.name ?? 'Object'}`;
    return `Received type ${typeof value} (${lib.inspect(value, 0, [])})`;
  }

  /** The path argument as text: a string, a `file:` URL or bytes. */
  function pathText(path, name) {
    if (typeof path === 'string') {
      if (path.includes('\u0000')) {
        throw typeError('ERR_INVALID_ARG_VALUE', `The argument '${name}' must be a string without null bytes. Received ${lib.inspect(path, 0, [])}`);
      }
      return path;
    }
    if (typeof URL === 'function' && path instanceof URL) {
      if (path.protocol !== 'file:') throw typeError('ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
      return decodeURIComponent(path.pathname);
    }
    if (isView(path)) return new TextDecoder().decode(path);
    throw typeError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string or an instance of Buffer or URL. ${received(path)}`);
  }

  /** The root (`/workspace`, `/skills`) an absolute normalised path lies in, if any. */
  function rootOf(absolute) {
    for (const root of ROOTS) if (absolute === root || absolute.startsWith(`${root}/`)) return root;
    return undefined;
  }

  /** `path` resolved against /workspace; an error unless it lies under /workspace or /skills. */
  function locate(path, syscall, name = 'path') {
    const text = pathText(path, name);
    const absolute = lib.resolvePath(text);
    if (rootOf(absolute) === undefined) {
      throw systemError('EACCES', syscall, text, undefined, 'programs reach only files under /workspace and /skills');
    }
    return [absolute, text];
  }

  /** A native's failure (its message is the errno's name) as Node's error, with a hint where one helps. */
  function failure(error, syscall, absolute, shown, dest) {
    const code = error && typeof error.message === 'string' && ERRORS[error.message] ? error.message : undefined;
    if (code === undefined) return error;
    const root = rootOf(absolute);
    if (root !== undefined && !fsRoot(root)) return systemError('ENOENT', syscall, shown, dest, MISSING_ROOT[root]);
    let hint;
    if (root === '/skills' && (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')) {
      hint = '/skills is read-only in this run; `sluice run --skills DIR --skills-writable` lets programs save helpers there';
    } else if (code === 'ENOSPC' || code === 'EDQUOT') {
      hint = "the run's workspace limits are reached (sluice run --max-workspace, --max-workspace-files)";
    }
    return systemError(code, syscall, shown, dest, hint);
  }

  /** Runs `work(absolute)` for one path, turning a native failure into Node's error. */
  function on(path, syscall, work) {
    const [absolute, shown] = locate(path, syscall);
    try {
      return work(absolute);
    } catch (error) {
      throw failure(error, syscall, absolute, shown);
    }
  }

  function encodingOf(options, fallback) {
    if (options === undefined || options === null || typeof options === 'function') return fallback;
    const encoding = typeof options === 'string' ? options : options.encoding;
    if (encoding === undefined || encoding === null) return encoding === null ? null : fallback;
    const known = ['utf8', 'utf-8', 'latin1', 'binary', 'base64', 'hex', 'ascii'];
    const lower = String(encoding).toLowerCase();
    if (!known.includes(lower)) {
      throw typeError('ERR_INVALID_ARG_VALUE', `The argument 'encoding' is invalid encoding. Received ${lib.inspect(encoding, 0, [])}`);
    }
    return lower === 'utf-8' ? 'utf8' : lower === 'binary' ? 'latin1' : lower;
  }

  function flagOf(options, fallback) {
    const flag = options && typeof options === 'object' && options.flag !== undefined ? String(options.flag) : fallback;
    return flag;
  }

  /** Bytes as a string of one character per byte. */
  function latin1Of(bytes) {
    let text = '';
    for (let i = 0; i < bytes.length; i += 8192) text += fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return text;
  }

  function bytesOf(latin1) {
    const bytes = new Uint8Array(latin1.length);
    for (let i = 0; i < latin1.length; i++) bytes[i] = latin1.charCodeAt(i) & 255;
    return bytes;
  }

  function viewBytes(data) {
    return data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  function encode(bytes, encoding) {
    switch (encoding) {
      case 'utf8':
        return new TextDecoder().decode(bytes);
      case 'latin1':
        return latin1Of(bytes);
      case 'ascii':
        return latin1Of(bytes.map((b) => b & 127));
      case 'base64':
        return btoa(latin1Of(bytes));
      case 'hex': {
        let hex = '';
        for (const byte of bytes) hex += (byte < 16 ? '0' : '') + byte.toString(16);
        return hex;
      }
      default:
        return bytes;
    }
  }

  /** Text in `encoding` as the `[string, latin1]` the write native takes. */
  function decode(text, encoding) {
    switch (encoding) {
      case 'latin1':
      case 'ascii':
        return [text, true];
      case 'base64':
        return [atob(text.replace(/[^A-Za-z0-9+/]/g, '').replace(/=+$/, '')), true];
      case 'hex': {
        const pairs = text.match(/^(?:[0-9a-fA-F]{2})*/)[0];
        let latin1 = '';
        for (let i = 0; i < pairs.length; i += 2) latin1 += fromCharCode(parseInt(pairs.slice(i, i + 2), 16));
        return [latin1, true];
      }
      default:
        return [text, false];
    }
  }

  // ----- synchronous functions (Node's `fs.*Sync`); everything else is built on them -----

  function readFileSync(path, options) {
    const encoding = encodingOf(options, null);
    flagOf(options, 'r');
    const [absolute, shown] = locate(path, 'open');
    try {
      if (encoding === 'utf8') return fsReadText(absolute);
      return encode(fsReadBytes(absolute), encoding);
    } catch (error) {
      // Node opens a directory fine and fails reading it, naming no path.
      if (error && ERRORS[error.message] && existsSync(absolute) && fsStat(absolute, true).kind === 'directory') {
        throw systemError('EISDIR', 'read');
      }
      throw failure(error, 'open', absolute, shown);
    }
  }

  function writeWith(defaultFlag, path, data, options) {
    let text;
    let latin1 = false;
    if (typeof data === 'string') {
      [text, latin1] = decode(data, encodingOf(options, 'utf8'));
    } else if (isView(data)) {
      [text, latin1] = [latin1Of(viewBytes(data)), true];
    } else {
      throw typeError('ERR_INVALID_ARG_TYPE', `The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. ${received(data)}`);
    }
    const flag = flagOf(options, defaultFlag);
    on(path, 'open', (absolute) => fsWrite(absolute, text, latin1, flag));
  }

  const writeFileSync = (path, data, options) => writeWith('w', path, data, options);
  const appendFileSync = (path, data, options) => writeWith('a', path, data, options);

  const MODES = { file: 0o100644, directory: 0o40755, symlink: 0o120777, other: 0o10644 };

  /** What `Stats` and `Dirent` share: the kind of entry, and Node's questions about it. */
  class EntryKind {
    isFile() {
      return this.kind === 'file';
    }
    isDirectory() {
      return this.kind === 'directory';
    }
    isSymbolicLink() {
      return this.kind === 'symlink';
    }
    isFIFO() {
      return false;
    }
    isSocket() {
      return false;
    }
    isBlockDevice() {
      return false;
    }
    isCharacterDevice() {
      return false;
    }
  }

  class Stats extends EntryKind {
    constructor(raw) {
      super();
      this.dev = 0;
      this.mode = MODES[raw.kind];
      this.nlink = 1;
      this.uid = 0;
      this.gid = 0;
      this.rdev = 0;
      this.blksize = 4096;
      this.ino = 0;
      this.size = raw.size;
      this.blocks = Math.ceil(raw.size / 512);
      this.atimeMs = raw.atimeMs;
      this.mtimeMs = raw.mtimeMs;
      this.ctimeMs = raw.mtimeMs;
      this.birthtimeMs = raw.birthtimeMs;
      this.atime = new Date(raw.atimeMs);
      this.mtime = new Date(raw.mtimeMs);
      this.ctime = new Date(raw.mtimeMs);
      this.birthtime = new Date(raw.birthtimeMs);
      Object.defineProperty(this, 'kind', { value: raw.kind });
    }
  }

  function statWith(follow, path, options) {
    const syscall = follow ? 'stat' : 'lstat';
    try {
      return on(path, syscall, (absolute) => new Stats(fsStat(absolute, follow)));
    } catch (error) {
      if (error.code === 'ENOENT' && options && options.throwIfNoEntry === false) return undefined;
      throw error;
    }
  }

  const statSync = (path, options) => statWith(true, path, options);
  const lstatSync = (path, options) => statWith(false, path, options);

  function existsSync(path) {
    try {
      return statWith(true, path) !== undefined;
    } catch {
      return false;
    }
  }

  const constants = Object.freeze({ F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1, COPYFILE_EXCL: 1 });

  function accessSync(path) {
    on(path, 'access', (absolute) => fsStat(absolute, true));
  }

  class Dirent extends EntryKind {
    constructor(name, kind, parentPath) {
      super();
      this.name = name;
      this.parentPath = parentPath;
      this.path = parentPath;
      Object.defineProperty(this, 'kind', { value: kind });
    }
  }

  function readdirSync(path, options) {
    const withFileTypes = !!(options && typeof options === 'object' && options.withFileTypes);
    const recursive = !!(options && typeof options === 'object' && options.recursive);
    const [absolute, shown] = locate(path, 'scandir');
    const parent = typeof path === 'string' ? path : shown;
    const out = [];
    // Breadth first, as Node lists a recursive directory.
    const queue = [['', parent, absolute]];
    while (queue.length > 0) {
      const [prefix, shownDir, dir] = queue.shift();
      let entries;
      try {
        entries = fsReaddir(dir);
      } catch (error) {
        throw failure(error, 'scandir', dir, prefix === '' ? shown : `${shown}/${prefix}`);
      }
      for (const [name, kind] of entries) {
        out.push(withFileTypes ? new Dirent(name, kind, shownDir) : prefix + name);
        if (recursive && kind === 'directory') queue.push([`${prefix}${name}/`, `${shownDir}/${name}`, `${dir}/${name}`]);
      }
    }
    return out;
  }

  function mkdirSync(path, options) {
    const recursive = !!(options && typeof options === 'object' && options.recursive);
    const shown = pathText(path, 'path');
    return on(path, 'mkdir', (absolute) => {
      if (!recursive) {
        fsMkdir(absolute, false);
        return undefined;
      }
      // Node returns the first directory it had to make, named as the program named it, or undefined.
      let first;
      for (let dir = shown; !existsSync(dir); dir = lib.builtins['node:path'].dirname(dir)) {
        first = dir;
        if (dir === '/' || dir === '.') break;
      }
      fsMkdir(absolute, true);
      return first;
    });
  }

  function rmSync(path, options) {
    const recursive = !!(options && options.recursive);
    const force = !!(options && options.force);
    const [absolute, shown] = locate(path, 'rm');
    let stat;
    try {
      stat = fsStat(absolute, false);
    } catch (error) {
      const node = failure(error, 'lstat', absolute, shown);
      if (force && node.code === 'ENOENT' && fsRoot(rootOf(absolute))) return;
      throw node;
    }
    if (stat.kind === 'directory' && !recursive) {
      const error = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${shown}`);
      error.code = 'ERR_FS_EISDIR';
      error.errno = 21;
      error.syscall = 'rm';
      error.path = shown;
      throw programFrames(error);
    }
    try {
      fsRemove(absolute, stat.kind === 'directory' ? 'tree' : 'file');
    } catch (error) {
      throw failure(error, 'rm', absolute, shown);
    }
  }

  function rmdirSync(path) {
    on(path, 'rmdir', (absolute) => fsRemove(absolute, 'directory'));
  }

  function unlinkSync(path) {
    on(path, 'unlink', (absolute) => fsRemove(absolute, 'file'));
  }

  /** A two-path call (`rename`, `copyfile`): Node names both in its message. */
  function twoPaths(syscall, from, to, work) {
    const [source, shownSource] = locate(from, syscall, 'oldPath');
    const [target, shownTarget] = locate(to, syscall, 'newPath');
    try {
      return work(source, target);
    } catch (error) {
      throw failure(error, syscall, source, shownSource, shownTarget);
    }
  }

  function renameSync(from, to) {
    twoPaths('rename', from, to, fsRename);
  }

  function copyFileSync(from, to, mode) {
    twoPaths('copyfile', from, to, (source, target) => {
      if ((mode & constants.COPYFILE_EXCL) !== 0 && existsSync(target)) throw new Error('EEXIST');
      fsCopy(source, target);
    });
  }

  function readJSONSync(path) {
    const text = readFileSync(path, 'utf8');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`${pathText(path, 'path')} is not valid JSON: ${error.message}`);
    }
  }

  function writeJSONSync(path, value, options) {
    const spaces = options && options.spaces !== undefined ? options.spaces : 2;
    const text = JSON.stringify(value, null, spaces);
    if (text === undefined) throw new TypeError(`writeJSON cannot store ${lib.inspect(value, 0, [])}: it has no JSON form`);
    writeFileSync(path, `${text}\n`);
  }

  const sync = {
    readFile: readFileSync,
    writeFile: writeFileSync,
    appendFile: appendFileSync,
    readdir: readdirSync,
    stat: statSync,
    lstat: lstatSync,
    access: accessSync,
    mkdir: mkdirSync,
    rm: rmSync,
    rmdir: rmdirSync,
    unlink: unlinkSync,
    rename: renameSync,
    copyFile: copyFileSync,
  };

  /** `work` deferred into a promise, as Node's promise API answers. */
  const promised = (work) =>
    function (...args) {
      return new PromiseCtor((resolve, reject) => {
        try {
          resolve(work(...args));
        } catch (error) {
          reject(error);
        }
      });
    };

  const promises = { constants };
  for (const name of Object.keys(sync)) promises[name] = promised(sync[name]);
  Object.freeze(promises);

  // `node:fs`: the synchronous functions, callback forms of the same, and `promises`.
  const fs = { constants, promises, existsSync };
  for (const name of Object.keys(sync)) {
    fs[`${name}Sync`] = sync[name];
    fs[name] = function (...args) {
      const callback = args.pop();
      if (typeof callback !== 'function') {
        throw typeError('ERR_INVALID_ARG_TYPE', `The "cb" argument must be of type function. ${received(callback)}`);
      }
      let result;
      try {
        result = sync[name](...args);
      } catch (error) {
        queueMicrotask(() => callback(error));
        return;
      }
      queueMicrotask(() => callback(null, result));
    };
  }
  fs.Stats = Stats;
  fs.Dirent = Dirent;
  Object.freeze(fs);

  // ----- skills: helpers saved in /skills, listed with their first doc comment -----

  const SCRIPT = /\.(m?js|m?ts)$/;

  /** The first comment block of `source`: a leading `/* *\/` or `//` block, else the first `/** *\/`. */
  function firstDocComment(source) {
    const text = source.replace(/^#![^\n]*\n/, '');
    const lead = /^\s*/.exec(text)[0].length;
    let block;
    if (text.startsWith('/*', lead)) {
      const end = text.indexOf('*/', lead + 2);
      block = end < 0 ? undefined : text.slice(lead + 2, end);
    } else if (text.startsWith('//', lead)) {
      const lines = [];
      for (const line of text.slice(lead).split('\n')) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('//')) break;
        lines.push(trimmed.slice(2));
      }
      return lines.map((line) => line.replace(/^ /, '')).join('\n').trim();
    } else {
      const start = text.indexOf('/**');
      const end = start < 0 ? -1 : text.indexOf('*/', start + 3);
      block = end < 0 ? undefined : text.slice(start + 2, end);
    }
    if (block === undefined) return '';
    return block
      .replace(/^\*+/, '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
      .join('\n')
      .trim();
  }

  /** Most files listed; the walk stops there. */
  const MAX_SKILLS = 1000;

  function listSkills() {
    if (!fsRoot('/skills')) return [];
    const skills = [];
    for (const entry of readdirSync('/skills', { recursive: true })) {
      if (skills.length >= MAX_SKILLS) break;
      if (!SCRIPT.test(entry)) continue;
      const path = `/skills/${entry}`;
      let description = '';
      try {
        if (!statSync(path).isFile()) continue;
        description = firstDocComment(fsReadText(path));
      } catch {
        continue;
      }
      skills.push({ name: entry.replace(SCRIPT, ''), path, description });
    }
    return skills.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  const sluiceFs = Object.freeze({
    ...promises,
    /** Whether `path` exists (never rejects). */
    exists: promised(existsSync),
    /** The file parsed as JSON. */
    readJSON: promised(readJSONSync),
    /** Writes `value` as JSON (two-space indent unless `{spaces}`), with a final newline. */
    writeJSON: promised(writeJSONSync),
  });

  // `sluice` was frozen by core.js: extend it by replacing it with a copy that has `fs` and `skills`.
  const before = Object.getOwnPropertyDescriptors(globalThis.sluice);
  lib.expose({
    sluice: Object.freeze(
      Object.defineProperties({}, {
        ...before,
        fs: { value: sluiceFs, enumerable: true },
        skills: { value: promised(listSkills), enumerable: true },
      }),
    ),
  });

  lib.builtins = lib.builtins || {};
  lib.builtins['node:fs'] = fs;
  lib.builtins['node:fs/promises'] = promises;
});
