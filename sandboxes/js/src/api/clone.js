// `structuredClone`: the HTML structured clone algorithm's common subset, with Node's errors for what cannot be cloned.
//
// Clones primitives, plain objects and arrays (own enumerable string keys; class
// instances become plain objects), Date, RegExp, Map, Set, ArrayBuffer, typed
// arrays, DataView, Error objects and boxed primitives, keeping shared references
// and cycles. Functions, symbols, promises, weak collections and the like throw a
// DOMException named DataCloneError. `transfer` moves ArrayBuffers.
(function (native, lib) {
  'use strict';
  const MapCtor = Map;
  const getPrototypeOf = Object.getPrototypeOf;
  const objectKeys = Object.keys;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const toStringTag = (value) => Object.prototype.toString.call(value).slice(8, -1);
  const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const TYPED = {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float16Array: globalThis.Float16Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };

  function uncloneable(description) {
    return new DOMException(`${description} could not be cloned.`, 'DataCloneError');
  }

  function describe(value) {
    if (typeof value === 'function') {
      try {
        return Function.prototype.toString.call(value);
      } catch {
        return 'function';
      }
    }
    if (typeof value === 'symbol') return value.toString();
    return `#<${toStringTag(value)}>`;
  }

  function cloneBuffer(buffer, memory) {
    const copy = buffer.slice(0);
    memory.set(buffer, copy);
    return copy;
  }

  function clone(value, memory) {
    if (typeof value === 'function' || typeof value === 'symbol') throw uncloneable(describe(value));
    if (value === null || typeof value !== 'object') return value;
    if (memory.has(value)) return memory.get(value);

    const tag = toStringTag(value);
    let copy;
    switch (tag) {
      case 'Boolean':
      case 'Number':
      case 'String':
      case 'BigInt':
        copy = Object(value.valueOf());
        memory.set(value, copy);
        return copy;
      case 'Date':
        copy = new Date(value.getTime());
        memory.set(value, copy);
        return copy;
      case 'RegExp':
        copy = new RegExp(value.source, value.flags);
        memory.set(value, copy);
        return copy;
      case 'ArrayBuffer':
        return cloneBuffer(value, memory);
      case 'SharedArrayBuffer':
        throw uncloneable(describe(value));
      case 'DataView': {
        const buffer = clone(value.buffer, memory);
        copy = new DataView(buffer, value.byteOffset, value.byteLength);
        memory.set(value, copy);
        return copy;
      }
      case 'Map':
        copy = new Map();
        memory.set(value, copy);
        for (const [k, v] of value) copy.set(clone(k, memory), clone(v, memory));
        return copy;
      case 'Set':
        copy = new Set();
        memory.set(value, copy);
        for (const v of value) copy.add(clone(v, memory));
        return copy;
      case 'Error': {
        const name = typeof value.name === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value.name) ? value.name : 'Error';
        copy = Object.create(ERRORS[name].prototype);
        memory.set(value, copy);
        const define = (key, v) => Object.defineProperty(copy, key, { value: v, writable: true, configurable: true, enumerable: false });
        if (value.message !== undefined) define('message', `${value.message}`);
        if (typeof value.stack === 'string') define('stack', value.stack);
        if ('cause' in value) define('cause', clone(value.cause, memory));
        return copy;
      }
      case 'Array':
        break;
      case 'Object':
        break;
      default:
        if (isView(value) && Object.prototype.hasOwnProperty.call(TYPED, tag)) {
          const buffer = clone(value.buffer, memory);
          copy = new TYPED[tag](buffer, value.byteOffset, value.length);
          memory.set(value, copy);
          return copy;
        }
        // Only plain data clones: class instances do (as plain objects), but not
        // the engine's other objects (promises, weak collections, generators, ...).
        if (!(getPrototypeOf(value) === null || tag === 'Object' || tag === 'Arguments')) {
          throw uncloneable(describe(value));
        }
    }
    if (isArray(value)) {
      copy = new Array(value.length);
    } else {
      copy = {};
    }
    memory.set(value, copy);
    for (const key of objectKeys(value)) copy[key] = clone(value[key], memory);
    return copy;
  }

  function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError('structuredClone: the value argument must be specified');
    const transfer = options && options.transfer !== undefined ? [...options.transfer] : [];
    for (const buffer of transfer) {
      if (!(buffer instanceof ArrayBuffer)) throw uncloneable(describe(buffer));
      if (buffer.detached) throw new DOMException('An ArrayBuffer is detached and could not be cloned.', 'DataCloneError');
    }
    const copy = clone(value, new MapCtor());
    // A transferred buffer moves: the clone has its bytes, the original is left detached.
    for (const buffer of transfer) buffer.transfer();
    return copy;
  }

  lib.expose({ structuredClone });
});
