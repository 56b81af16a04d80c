// An interval that is never cleared: the program runs until its deadline.
let n = 0;
setInterval(() => {
  if (++n === 1) console.log('ticking');
}, 1);
