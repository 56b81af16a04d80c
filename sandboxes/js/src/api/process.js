// A minimal Node `process`: `argv`, `cwd` (/workspace), `exit`, `exitCode`, `stdout.write`, `stderr.write`, `nextTick`; `env` refuses, since a program has no environment.
(function (native, lib) {
  'use strict';
  const { exit } = native;
  const write = (fd, text) => lib.write(fd, text);

  let exitCode;
  function checkCode(code) {
    if (code === undefined || code === null) return undefined;
    const number = Number(code);
    if (!Number.isInteger(number)) throw new TypeError(`process exit codes are integers, not ${lib.inspect(code, 1, [])}`);
    return number;
  }

  /** The exit status a program asked for with `process.exitCode` (0 if none). */
  lib.exitCode = () => exitCode ?? 0;

  const stream = (fd) =>
    Object.freeze({
      write(chunk, encoding, callback) {
        const text = typeof chunk === 'string' ? chunk : ArrayBuffer.isView(chunk) ? new TextDecoder().decode(chunk) : String(chunk);
        write(fd, text);
        const done = typeof encoding === 'function' ? encoding : callback;
        if (typeof done === 'function') queueMicrotask(done);
        return true;
      },
    });

  const process = Object.freeze({
    /** `["sluice", "<program name>", ...the program's arguments]`. */
    get argv() {
      return (lib.run.argv ??= ['sluice', lib.run.name, ...lib.run.args]);
    },
    get env() {
      throw new TypeError(
        'process.env is not available in Sluice: a program has no environment variables (tool servers hold their own ' +
          'credentials). Pass values as program arguments (`sluice run prog.js -- a b`) and read them from sluice.args.',
      );
    },
    get exitCode() {
      return exitCode;
    },
    set exitCode(code) {
      exitCode = checkCode(code);
    },
    /** Ends the program at once with `code` (default `process.exitCode`, else 0). */
    exit(code) {
      exit(checkCode(code) ?? exitCode ?? 0);
    },
    /** `/workspace`: where relative file paths resolve (`fs.js`, `path.js`). */
    cwd() {
      return '/workspace';
    },
    nextTick(callback, ...args) {
      if (typeof callback !== 'function') throw new TypeError('process.nextTick takes a function');
      queueMicrotask(() => callback(...args));
    },
    stdout: stream(1),
    stderr: stream(2),
  });

  lib.expose({ process });
});
