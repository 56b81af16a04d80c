// Waits on a promise nothing can settle: the run must end with a message, not hang to the deadline.
await new Promise(() => {});
console.log("never printed");
