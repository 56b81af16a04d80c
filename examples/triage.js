// Triage: the agent's program. It finds the issue tool, reads all 10,000 issues
// inside the sandbox, and returns only the few lines the agent needs.
//
// Run it with `cargo run --release --example embed -- examples/triage.js` (the
// embedding example serves the issues in-process).

const [hit] = await sluice.search('list issues', { limit: 1, detail: 'name' });
console.log(`found ${hit.server}.${hit.tool}`);

const { issues } = await tools[hit.server][hit.tool]({ state: 'all' });
const hot = issues
  .filter((issue) => issue.state === 'open' && issue.labels.includes('bug') && issue.comments > 10)
  .sort((a, b) => b.comments - a.comments || a.number - b.number);

console.log(`${hot.length} open bugs with more than 10 comments (of ${issues.length} issues); the most discussed:`);
for (const issue of hot.slice(0, 5)) {
  console.log(`  #${String(issue.number).padEnd(5)} ${String(issue.comments).padStart(3)} comments  ${issue.title}`);
}
