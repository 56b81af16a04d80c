// An async timer callback whose promise rejects ends the program too (Node: an unhandled rejection).
setTimeout(() => console.log('never printed'), 200);
setInterval(async () => {
  await null;
  throw new TypeError('async boom');
}, 1);
