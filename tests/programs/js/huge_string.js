// Hostile: a string of 2^30 characters.
const huge = "x".repeat(2 ** 30);
console.log(huge.length);
