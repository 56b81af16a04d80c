// Timers as Node has them: `setTimeout`, `setInterval`, `setImmediate` and their `clear*`, run by the event loop in `main.rs`.
//
// Timers live here, in the program's own memory; the event loop asks
// `lib.nextDelay()` how long it may park in the host (`wait_any_timeout`, so a
// timer races the program's tool calls) and `lib.runDue()` to run one due
// callback at a time, settling promises between them. At most `MAX_PENDING`
// timers and immediates may be pending at once; none outlives the run (its
// deadline ends the program, parked or not). Delays are Node's: a number of
// milliseconds from 1 to 2^31 - 1; anything else is 1 (with Node's warning
// when it was too large). Callbacks get their extra arguments and the timer as
// `this`; an exception thrown by one, or a promise returned by one that
// rejects, ends the program as an uncaught error.
(function (native, lib) {
  'use strict';
  const { now } = native;
  const write = (fd, text) => lib.write(fd, text);
  const MapCtor = Map;
  const PromiseCtor = Promise;
  const apply = Reflect.apply;

  /** Timers and immediates a program may have pending at once. */
  const MAX_PENDING = 10000;
  /** The longest delay Node accepts, in milliseconds. */
  const TIMEOUT_MAX = 2 ** 31 - 1;

  const active = new MapCtor(); // id -> record, for every pending timer
  let heap = []; // {due, seq, record}; stale entries (cleared or refreshed) are skipped
  let immediates = []; // records in the order they were set; cleared ones are skipped
  let liveImmediates = 0;
  let referenced = 0; // pending timers and immediates that keep the program alive
  let nextId = 1;
  let nextSeq = 0;
  let fatal = null; // {error} from a callback's rejected promise

  function before(a, b) {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  function push(entry) {
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  function pop() {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }

  const isStale = (entry) => entry.record.seq !== entry.seq || !active.has(entry.record.id);

  function schedule(record, delay) {
    record.seq = nextSeq++;
    record.due = now() + delay;
    push({ due: record.due, seq: record.seq, record });
    // Cleared and refreshed timers leave entries behind; drop them before they pile up.
    if (heap.length > 2 * active.size + 64) {
      heap = heap.filter((entry) => !isStale(entry));
      const entries = heap;
      heap = [];
      for (const entry of entries) push(entry);
    }
  }

  function checkCallback(callback) {
    if (typeof callback !== 'function') {
      const received = callback === undefined ? 'undefined' : `type ${typeof callback} (${lib.inspect(callback, 1, []).slice(0, 40)})`;
      const error = new TypeError(`The "callback" argument must be of type function. Received ${received}`);
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
  }

  function checkRoom() {
    if (active.size + liveImmediates >= MAX_PENDING) {
      throw new RangeError(`too many pending timers: a program may have at most ${MAX_PENDING} timers and immediates pending at once (clear the ones it no longer needs)`);
    }
  }

  function toDelay(value) {
    let delay = Number(value);
    if (!(delay >= 1 && delay <= TIMEOUT_MAX)) {
      if (delay > TIMEOUT_MAX) {
        write(2, `TimeoutOverflowWarning: ${delay} does not fit into a 32-bit signed integer.\nTimeout duration was set to 1.\n`);
      }
      delay = 1;
    }
    return delay;
  }

  function setReferenced(record, value) {
    if (record.ref === value) return;
    record.ref = value;
    if (active.has(record.id) || record.immediate) referenced += value ? 1 : -1;
  }

  /** What setTimeout and setInterval return, as in Node; `+timeout` is its id. */
  class Timeout {
    #record;
    constructor(record) {
      this.#record = record;
    }
    /** Keeps the program alive until this timer has run (the default). */
    ref() {
      if (active.has(this.#record.id)) setReferenced(this.#record, true);
      return this;
    }
    /** Lets the program end without waiting for this timer. */
    unref() {
      if (active.has(this.#record.id)) setReferenced(this.#record, false);
      return this;
    }
    hasRef() {
      return this.#record.ref;
    }
    /** Starts the timer's delay again from now. */
    refresh() {
      if (active.has(this.#record.id)) schedule(this.#record, this.#record.delay);
      return this;
    }
    close() {
      clear(this.#record.id);
      return this;
    }
    [Symbol.toPrimitive]() {
      return this.#record.id;
    }
  }

  /** What setImmediate returns, as in Node. */
  class Immediate {
    #record;
    constructor(record) {
      this.#record = record;
    }
    ref() {
      if (this.#record.immediate) setReferenced(this.#record, true);
      return this;
    }
    unref() {
      if (this.#record.immediate) setReferenced(this.#record, false);
      return this;
    }
    hasRef() {
      return this.#record.ref;
    }
  }
  const immediateRecords = new WeakMap();

  function startTimer(callback, delay, args, repeat) {
    checkCallback(callback);
    delay = toDelay(delay);
    checkRoom();
    const record = { id: nextId++, callback, args, delay, repeat, ref: true, seq: 0, due: 0, handle: null };
    record.handle = new Timeout(record);
    active.set(record.id, record);
    referenced++;
    schedule(record, delay);
    return record.handle;
  }

  function clear(id) {
    const record = active.get(id);
    if (record === undefined) return;
    active.delete(record.id);
    if (record.ref) referenced--;
  }

  function clearTimer(timer) {
    if (timer instanceof Timeout) clear(+timer);
    else if (typeof timer === 'number' || typeof timer === 'string') clear(Number(timer));
  }

  function setTimeout(callback, delay, ...args) {
    return startTimer(callback, delay, args, false);
  }
  function setInterval(callback, delay, ...args) {
    return startTimer(callback, delay, args, true);
  }
  function setImmediate(callback, ...args) {
    checkCallback(callback);
    checkRoom();
    const record = { callback, args, ref: true, immediate: true, handle: null };
    record.handle = new Immediate(record);
    immediateRecords.set(record.handle, record);
    immediates.push(record);
    liveImmediates++;
    referenced++;
    return record.handle;
  }
  function clearImmediate(immediate) {
    const record = immediate instanceof Immediate ? immediateRecords.get(immediate) : undefined;
    if (record === undefined || !record.immediate) return;
    record.immediate = false;
    liveImmediates--;
    if (record.ref) referenced--;
  }

  function invoke(record) {
    const result = apply(record.callback, record.handle, record.args);
    if (result instanceof PromiseCtor) {
      result.then(undefined, (error) => {
        fatal ??= { error };
      });
    }
  }

  /** Runs one due immediate or timer callback; false when none is due. Throws what a callback throws. */
  lib.runDue = function runDue() {
    if (fatal !== null) {
      const { error } = fatal;
      fatal = null;
      throw error;
    }
    while (immediates.length > 0) {
      const record = immediates.shift();
      if (!record.immediate) continue;
      record.immediate = false;
      liveImmediates--;
      if (record.ref) referenced--;
      invoke(record);
      return true;
    }
    while (heap.length > 0 && isStale(heap[0])) pop();
    if (heap.length === 0 || heap[0].due > now()) return false;
    const { record } = pop();
    if (record.repeat) {
      invoke(record);
      // Node starts the next interval once the callback has run, unless it cleared itself.
      if (active.has(record.id)) schedule(record, record.delay);
    } else {
      clear(record.id);
      invoke(record);
    }
    return true;
  };

  /** How many milliseconds the event loop may wait for a completion before a
   *  timer is due (0: one is due now), or -1 when no timer keeps the program
   *  alive: none is pending, or only unreferenced ones and no operation is. */
  lib.nextDelay = function nextDelay(operationsPending) {
    if (liveImmediates > 0) return 0;
    while (heap.length > 0 && isStale(heap[0])) pop();
    if (heap.length === 0 || (referenced === 0 && !operationsPending)) return -1;
    return Math.max(0, heap[0].due - now());
  };

  lib.expose({ setTimeout, setInterval, setImmediate, clearTimeout: clearTimer, clearInterval: clearTimer, clearImmediate });
});
