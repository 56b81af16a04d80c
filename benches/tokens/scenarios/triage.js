// Open bugs with more than 10 comments: how many, and the ten most commented with their assignees.
const repo = { owner: "acme", repo: "widgets" };
const hot = [];
let after;
do {
  const page = await tools.github.list_issues({ ...repo, state: "OPEN", labels: ["bug"], perPage: 100, after });
  hot.push(...page.issues.filter((issue) => issue.comments > 10));
  after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : undefined;
} while (after);
hot.sort((a, b) => b.comments - a.comments || a.number - b.number);
const top = await Promise.all(hot.slice(0, 10).map(async (issue) => {
  const full = await tools.github.get_issue({ ...repo, issue_number: issue.number });
  return [issue.number, issue.comments, issue.title, (full.assignees ?? []).map((user) => user.login)];
}));
console.log(JSON.stringify({ count: hot.length, top }));
