// Promise.all over N calls puts all N in flight on the host at once (the host's probe counts them).
const results = await Promise.all(Array.from({ length: 30 }, () => tools.demo['probe-concurrency']({})));
console.log('ok', results.filter((r) => r.ok).length);
