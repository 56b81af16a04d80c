// Program arguments, a minimal process, and crypto.randomUUID.
console.log(JSON.stringify(sluice.args), JSON.stringify(process.argv), process.argv.slice(2).join('+'));
const uuid = crypto.randomUUID();
console.log(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), uuid !== crypto.randomUUID());
try {
  console.log(process.env.HOME);
} catch (e) {
  console.log(e.name, e.message.includes('sluice.args'));
}
process.stdout.write('no newline, ');
process.stdout.write(new TextEncoder().encode('bytes too\n'));
process.exitCode = 3;
setTimeout(() => {
  console.log('exit now');
  process.exit(process.exitCode + 1);
  console.log('never printed');
}, 1);
