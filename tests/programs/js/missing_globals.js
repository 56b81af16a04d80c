// Node and browser globals that do not exist: an uncaught use names itself and says what to use instead.
const name = sluice.args[0];
console.log(typeof globalThis[name]);
globalThis.eval(name);
