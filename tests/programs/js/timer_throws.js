// An exception in a timer callback ends the program like any uncaught error; later timers do not run.
setTimeout(() => console.log('never printed'), 50);
setTimeout(function explode() {
  throw new Error('boom in a timer');
}, 1);
