// Timers as Node runs them: by due time (creation order among equal delays), extra arguments, the timer as
// `this`, Node's delay clamping, intervals, immediates, clearing and unref. Delays far apart keep the order certain.
const log = [];
const later = setTimeout(function (a, b) {
  log.push(`timeout ${a} ${b} this-is-the-timer=${this === later}`);
}, 100, 'A', 'B');
setTimeout(() => log.push('first'), 1);
for (const delay of [NaN, -5, undefined, 2 ** 31]) setTimeout(() => log.push(`clamped ${delay}`), delay);
setTimeout(() => log.push('string delay 50'), '50');
const cancelled = setTimeout(() => log.push('never: cleared'), 5);
clearTimeout(cancelled);
const byId = setTimeout(() => log.push('never: cleared by id'), 5);
clearTimeout(+byId);
const ticks = [];
const interval = setInterval((step) => {
  ticks.push(ticks.length + step);
  if (ticks.length === 3) clearInterval(interval);
}, 2, 1);
setImmediate((x) => log.push(`immediate ${x}`), 'I');
queueMicrotask(() => log.push('microtask'));
// An unreferenced timer does not keep the program alive (the run would reach its deadline).
setTimeout(() => log.push('never: unref'), 60_000).unref();

// A promise that a timer resolves keeps the program waiting for it.
log.push(await new Promise((resolve) => setTimeout(resolve, 150, 'slept')));
// A timer set by a timer's callback still runs before the program ends.
setTimeout(() => setTimeout(() => console.log([...log, `ticks ${ticks}`].join('\n')), 1), 1);
