// Commits in the local clone that close GitHub issues ("fixes #N"), with each issue's title and state.
const log = await tools.git.git_log({ repo_path: "/tmp/sluice-bench-tokens/repo", max_count: 1000 });
const fixes = [];
for (const [, subject] of String(log).matchAll(/^Message: (.*)$/gm)) {
  const match = /fixes #(\d+)/.exec(subject);
  if (match) fixes.push([Number(match[1]), subject]);
}
const rows = await Promise.all(fixes.map(async ([number, subject]) => {
  const issue = await tools.github.get_issue({ owner: "acme", repo: "widgets", issue_number: number });
  return [number, issue.title, issue.state, subject];
}));
rows.sort((a, b) => a[0] - b[0] || (a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0));
console.log(JSON.stringify({ fixes: rows }));
