// The triage question asked of GitHub's search, which filters and sorts on the server.
const found = await tools.github.search_issues({
  owner: "acme", repo: "widgets", query: "is:open label:bug comments:>10", sort: "comments", order: "desc", perPage: 10,
});
const top = found.items.map((issue) => [issue.number, issue.comments, issue.title, (issue.assignees ?? []).map((user) => user.login)]);
console.log(JSON.stringify({ count: found.total_count, top }));
