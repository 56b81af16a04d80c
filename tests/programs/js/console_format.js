// Prints values the way Node's console.log does, on one line each.
console.log('text', 42, -0, 1n, true, null, undefined, Symbol('s'));
console.log([1, 'a', [2, [3, [4]]]], { a: 1, 'needs quotes': 'x', nested: { deep: { deeper: {} } } });
console.log(new Map([[1, { a: 1 }]]), new Set(['x']), function named() {}, () => 1);
class Point { constructor() { this.x = 1; } }
console.log(new Point(), Object.create(null), new Date(0), /re/g, []);
console.error('to stderr', { ok: false });

const loop = { name: "a" };
loop.self = loop;
loop.list = [loop];
console.log(loop);
