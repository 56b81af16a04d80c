// Hostile: poisons the globals the API is built from, then calls a tool. Only this program may break.
const echo = tools.demo.echo;
JSON.stringify = () => '"poisoned"';
JSON.parse = () => 'poisoned';
Map.prototype.get = () => undefined;
Object.prototype.poisoned = true;
globalThis.tools = null;
globalThis.sluice = null;
console.log(await echo({ a: 1 }));
