// Which source files are largest, and what changed lately? One program instead of
// dozens of tool calls: it reads every file and the log inside the sandbox and
// prints ten lines. The summary line shows how much the tools returned and how
// little of it leaves the sandbox; the `memory` server is configured but never started.
//
// Run (from the repository root; the servers come from `.ci/setup`):
//   make example
//   cargo run --release -- run --config examples/servers.json examples/codebase.js

const tree = JSON.parse((await tools.files.directory_tree({ path: 'src' })).content);
const files = [];
const walk = (entries, dir) => {
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.type === 'directory') walk(entry.children ?? [], path);
    else if (path.endsWith('.rs')) files.push(path);
  }
};
walk(tree, 'src');

const sizes = await Promise.all(
  files.map(async (path) => {
    const { content } = await tools.files.read_text_file({ path });
    return { path, lines: content.split('\n').length };
  }),
);
sizes.sort((a, b) => b.lines - a.lines);

const log = await tools.git.git_log({ repo_path: '.', max_count: 50 });
const subjects = [...log.matchAll(/^Message: (.*)$/gm)].map((match) => match[1]);
const now = await tools.time.get_current_time({ timezone: 'UTC' });

const total = sizes.reduce((sum, file) => sum + file.lines, 0);
console.log(`${files.length} Rust files under src/, ${total} lines. Largest:`);
for (const file of sizes.slice(0, 5)) console.log(`  ${String(file.lines).padStart(5)}  ${file.path}`);
console.log(`Latest of ${subjects.length} commits read (at ${now.datetime}):`);
for (const subject of subjects.slice(0, 3)) console.log(`  - ${subject}`);
