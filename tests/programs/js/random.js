// Prints two random numbers and two secure random words.
console.log(Math.random(), Math.random(), crypto.getRandomValues(new Uint32Array(2)).join(","));
