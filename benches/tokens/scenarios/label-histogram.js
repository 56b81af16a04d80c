// Every issue's labels, all 10,000 of them, summarised as a histogram.
const labels = {};
let issues = 0, unlabelled = 0, after;
do {
  const page = await tools.github.list_issues({ owner: "acme", repo: "widgets", perPage: 100, after });
  for (const issue of page.issues) {
    issues++;
    if (!issue.labels?.length) unlabelled++;
    for (const label of issue.labels ?? []) labels[label.name] = (labels[label.name] ?? 0) + 1;
  }
  after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
} while (after);
console.log(JSON.stringify({ issues, labels, unlabelled }));
