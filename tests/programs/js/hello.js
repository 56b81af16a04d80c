// A well-behaved program, run after each hostile one.
console.log("hello", await tools.demo.echo({ n: 1 }));
