// Skills: an agent saves a helper in one run and imports it in the next.
//
// The first run finds no `tally` skill, writes one to /skills, and says so; every
// later run imports it and uses it. Run it twice with the same directory:
//
//   mkdir -p /tmp/skills
//   cargo run --release -- run --skills /tmp/skills --skills-writable examples/skills.js
//   cargo run --release -- run --skills /tmp/skills examples/skills.js
//
// The second run needs no --skills-writable: it only reads.

const skills = await sluice.skills();
const tally = skills.find((skill) => skill.name === 'tally');

if (tally === undefined) {
  await sluice.fs.writeFile(
    '/skills/tally.js',
    `/** Counts how often each value occurs: tally(['a', 'b', 'a']) is { a: 2, b: 1 }. */
export function tally(values) {
  const counts = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
`,
  );
  console.log('saved tally to /skills/tally.js; run again to use it');
} else {
  console.log(`found ${tally.name}: ${tally.description}`);
  const { tally: count } = await import('/skills/tally.js');
  console.log(count(['open', 'closed', 'open', 'open']));
}
