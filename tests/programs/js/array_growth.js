// Hostile: grows an array of arrays without bound.
const hoard = [];
while (true) hoard.push(new Array(100000).fill(1));
