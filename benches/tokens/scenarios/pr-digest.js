// The 50 most recent pull requests: files changed, latest review, and which are approved but not merged.
const repo = { owner: "acme", repo: "widgets" };
const pulls = await tools.github.list_pull_requests({ ...repo, state: "all", sort: "created", direction: "desc", perPage: 50 });
const prs = await Promise.all(pulls.map(async (pr) => {
  const [files, reviews] = await Promise.all([
    tools.github.get_pull_request_files({ ...repo, pullNumber: pr.number, perPage: 100 }),
    tools.github.get_pull_request_reviews({ ...repo, pullNumber: pr.number }),
  ]);
  return [pr.number, files.length, reviews.length ? reviews[reviews.length - 1].state : "NONE", pr.merged_at != null];
}));
const approved_not_merged = prs.filter(([, , review, merged]) => review === "APPROVED" && !merged).map(([n]) => n);
console.log(JSON.stringify({ prs: prs.map(([n, files, review]) => [n, files, review]), approved_not_merged }));
