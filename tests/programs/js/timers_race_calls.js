// A timer and a slow tool call race: the timer wins, and the call still completes before the program ends.
const call = tools.demo.slow({}).then((value) => console.log('call done', value.done));
const winner = await Promise.race([call.then(() => 'call'), new Promise((resolve) => setTimeout(resolve, 1, 'timer'))]);
console.log('winner', winner);
