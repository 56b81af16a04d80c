// A million timers: the ones past the cap are refused with a RangeError; clearing makes room again.
const timers = [];
let refused;
try {
  for (let i = 0; i < 1_000_000; i++) timers.push(setTimeout(() => {}, 60_000));
} catch (error) {
  refused = error;
}
console.log(timers.length, refused.name, refused.message);
for (const timer of timers) clearTimeout(timer);
setTimeout(() => console.log('room again'), 1);
