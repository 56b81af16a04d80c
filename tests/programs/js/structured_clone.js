// structuredClone as Node does it: data is copied (cycles and shared references kept), what is not data refuses.
const original = { n: 1, when: new Date(0), re: /a+/gi, list: [1, , 3], map: new Map([['k', { v: 1 }]]), set: new Set([1, 2]) };
original.self = original;
original.shared = [original.map, original.map];
const bytes = new Uint8Array([1, 2, 3, 4]);
original.view = bytes.subarray(1, 3);
original.buffer = bytes.buffer;
const copy = structuredClone(original);
console.log(copy !== original, copy.self === copy, copy.shared[0] === copy.shared[1], copy.shared[0] === copy.map);
console.log(copy.when instanceof Date, copy.when.getTime(), copy.re.source, copy.re.flags, copy.list.length, 1 in copy.list);
console.log(copy.map.get('k').v, copy.map.get('k') !== original.map.get('k'), [...copy.set].join(','));
console.log(copy.view instanceof Uint8Array, copy.view.buffer === copy.buffer, copy.view.byteOffset, [...copy.view].join(','));
class Point { constructor() { this.x = 1; } }
const point = structuredClone(new Point());
console.log(JSON.stringify(point), Object.getPrototypeOf(point) === Object.prototype);
const error = structuredClone(new RangeError('bad', { cause: 5 }));
console.log(error instanceof RangeError, error.message, error.cause);
for (const value of [() => 1, Symbol('s'), { f() {} }, new WeakMap(), Promise.resolve()]) {
  try {
    structuredClone(value);
  } catch (e) {
    console.log(e instanceof DOMException, e.name, e.message);
  }
}
const buffer = new ArrayBuffer(4);
const moved = structuredClone({ buffer }, { transfer: [buffer] });
console.log(buffer.byteLength, moved.buffer.byteLength);
