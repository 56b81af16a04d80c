// Waits on a timer far beyond the run's deadline: the run ends by its deadline, the callback never runs.
console.log('waiting');
setTimeout(() => console.log('never printed'), 60_000);
