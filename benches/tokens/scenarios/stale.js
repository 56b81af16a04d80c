// Open issues with no activity for 90 days (today is 2026-11-01), counted per assignee.
const query = "is:open updated:<2026-08-03";
const by_assignee = {};
let stale = 0;
for (let page = 1, total = 1; stale < total; page++) {
  const found = await tools.github.search_issues({ owner: "acme", repo: "widgets", query, perPage: 100, page });
  total = found.total_count;
  if (!found.items.length) break;
  stale += found.items.length;
  for (const issue of found.items) {
    for (const who of issue.assignees?.length ? issue.assignees.map((u) => u.login) : ["(unassigned)"]) {
      by_assignee[who] = (by_assignee[who] ?? 0) + 1;
    }
  }
}
console.log(JSON.stringify({ stale, by_assignee }));
