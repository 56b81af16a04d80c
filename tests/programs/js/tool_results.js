// Tool results are unwrapped by one rule; a tool's own error rejects with a ToolError.
console.log('structured', await tools.demo.echo({ hello: 'world' }));
console.log('json text', await tools.shapes['json-text']({}));
console.log('plain text', await tools.shapes['plain-text']({}));
console.log('alias', await tools.shapes.plain_text({}));
console.log('content', await tools.shapes['image']({}));
try {
  await tools.demo.fail({});
} catch (error) {
  console.log('fail', error instanceof ToolError, error.name, error.kind, error.server, error.tool, error.content[0].text);
}
try {
  await tools.demo.nope({});
} catch (error) {
  console.log('unknown', error.kind);
}
try {
  await tools.demo.echo('not an object');
} catch (error) {
  console.log('bad args', error.name);
}
