// A scenario file's program (scenarios/example.json): the open bugs, counted by GitHub's search.
const found = await tools.github.search_issues({ owner: "acme", repo: "widgets", query: "is:open label:bug", perPage: 1 });
console.log(JSON.stringify({ open_bugs: found.total_count }));
