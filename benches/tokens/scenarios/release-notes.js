// Release notes for v1.5.0: the commits since v1.4.0 and the pull requests merged in them, grouped by label.
const repo = { owner: "acme", repo: "widgets" };
const tags = await tools.github.list_tags({ ...repo, perPage: 100 });
const from = tags.find((tag) => tag.name === "v1.4.0").commit.sha;
const commits = [];
for (let page = 1; ; page++) {
  const batch = await tools.github.list_commits({ ...repo, sha: "v1.5.0", perPage: 100, page });
  const end = batch.findIndex((commit) => commit.sha === from);
  commits.push(...(end < 0 ? batch : batch.slice(0, end)));
  if (end >= 0 || batch.length < 100) break;
}
const merged = new Set(commits.map((c) => /^Merge pull request #(\d+)/.exec(c.commit.message)?.[1]).filter(Boolean).map(Number));
const day = (c) => c.commit.committer.date.slice(0, 10);
const query = `is:merged merged:${day(commits[commits.length - 1])}..${day(commits[0])}`;
const by_label = {};
for (let page = 1, seen = 0, total = 1; seen < total; page++) {
  const found = await tools.github.search_pull_requests({ ...repo, query, perPage: 100, page });
  total = found.total_count;
  seen += found.items.length;
  for (const pr of found.items.filter((pr) => merged.has(pr.number))) {
    for (const label of pr.labels?.length ? pr.labels.map((l) => l.name) : ["unlabelled"]) {
      (by_label[label] ??= []).push(pr.number);
    }
  }
  if (!found.items.length) break;
}
for (const numbers of Object.values(by_label)) numbers.sort((a, b) => a - b);
console.log(JSON.stringify({ commits: commits.length, prs: merged.size, by_label }));
