// TypeScript: types are stripped on the host and lines stay where they were.
interface Echoed {
  n: number;
}
const result: Echoed = await tools.demo.echo({ n: 7 });
function fail(reason: string): never {
  throw new Error(reason);
}
console.log('typed', result.n satisfies number);
fail('from line 10');
