// Hostile: 100,000 concurrent tool calls.
await Promise.all(Array.from({ length: 100000 }, (_, i) => tools.demo.echo({ i })));
console.log("FINISHED");
