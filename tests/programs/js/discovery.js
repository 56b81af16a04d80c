// Discovery works on whatever tool host is behind the ABI.
console.log(JSON.stringify(await sluice.servers()));
const hits = await sluice.search('add numbers', { limit: 3, detail: 'name' });
console.log(hits.map((h) => `${h.server}.${h.tool}`).join(','));
console.log(await sluice.describe('demo', 'add'));
try {
  await sluice.search('x', { limit: 1000 });
} catch (error) {
  console.log('bad search', error.kind);
}
