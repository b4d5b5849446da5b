/**
 * A local stand-in for the GitHub REST API: exactly the subset previewd calls (issue comments:
 * list with pagination, create, update, delete; commit statuses: create), in memory, on
 * 127.0.0.1:0. previewd's real Octokit client talks to it through GITHUB_API_URL.
 *
 *   const github = await startGitHubDouble({ token: "t" });
 *   github.failNext({ status: 429, retryAfter: 1 });        // one 429 with Retry-After: 1
 *   github.failNext({ status: 403, retryAfter: 1, secondary: true }); // a secondary rate limit
 *   github.comments("acme", "shop", 7); github.statuses("acme", "shop", sha); github.requests
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface DoubleComment {
  id: number;
  body: string;
  owner: string;
  repo: string;
  issue: number;
  user: { login: string };
  html_url: string;
  created_at: string;
  updated_at: string;
}

export interface DoubleStatus {
  owner: string;
  repo: string;
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
  at: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface Failure {
  status: 429 | 403 | 500 | 502;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Word the message as GitHub's secondary rate limit. */
  secondary?: boolean;
  /** Only requests with this method (e.g. "POST"). */
  method?: string;
}

export interface GitHubDouble extends AsyncDisposable {
  url: string;
  requests: LoggedRequest[];
  comments(owner: string, repo: string, issue: number): DoubleComment[];
  statuses(owner: string, repo: string, sha?: string): DoubleStatus[];
  addComment(owner: string, repo: string, issue: number, body: string, login?: string): DoubleComment;
  /** As if someone deleted the comment by hand. */
  deleteComment(id: number): void;
  failNext(failure: Failure): void;
  close(): Promise<void>;
}

export async function startGitHubDouble(options: { token: string }): Promise<GitHubDouble> {
  const comments = new Map<number, DoubleComment>();
  const statuses: DoubleStatus[] = [];
  const requests: LoggedRequest[] = [];
  const failures: Failure[] = [];
  let nextId = 1000;
  let origin = "";

  const addComment = (owner: string, repo: string, issue: number, body: string, login = "previewd-bot") => {
    const now = new Date().toISOString();
    const id = nextId++;
    const comment: DoubleComment = {
      id,
      body,
      owner,
      repo,
      issue,
      user: { login },
      html_url: `https://github.test/${owner}/${repo}/pull/${issue}#issuecomment-${id}`,
      created_at: now,
      updated_at: now,
    };
    comments.set(id, comment);
    return comment;
  };

  const server = http.createServer(async (req, res) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    const url = new URL(req.url ?? "/", "http://double");
    const method = req.method ?? "GET";
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      requests.push({ method, path: url.pathname, status, at: Date.now() });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const auth = req.headers.authorization ?? "";
    if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
      return send(401, { message: "Bad credentials" });
    }
    const failure = failures.findIndex((f) => !f.method || f.method === method);
    if (failure !== -1) {
      const [f] = failures.splice(failure, 1);
      const headers: Record<string, string> =
        f!.retryAfter === undefined ? {} : { "retry-after": String(f!.retryAfter) };
      const message = f!.secondary
        ? "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        : "Too many requests";
      return send(f!.status, { message }, headers);
    }
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const parts = url.pathname.split("/").filter(Boolean);
    const [root, owner = "", repo = "", kind, a, b] = parts;
    if (root !== "repos") return send(404, { message: "Not Found" });

    // GET/POST /repos/:o/:r/issues/:n/comments
    if (kind === "issues" && b === "comments" && a && /^\d+$/.test(a)) {
      const issue = Number(a);
      if (method === "POST") {
        if (typeof body.body !== "string") return send(422, { message: "body is missing" });
        return send(201, addComment(owner, repo, issue, body.body));
      }
      if (method === "GET") {
        const all = list(owner, repo, issue);
        const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
        const page = Number(url.searchParams.get("page") ?? 1);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          headers.link = `<${origin}${url.pathname}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        }
        return send(200, slice, headers);
      }
    }
    // PATCH/DELETE /repos/:o/:r/issues/comments/:id
    if (kind === "issues" && a === "comments" && b && /^\d+$/.test(b)) {
      const comment = comments.get(Number(b));
      if (!comment || comment.owner !== owner || comment.repo !== repo)
        return send(404, { message: "Not Found" });
      if (method === "PATCH") {
        if (typeof body.body !== "string") return send(422, { message: "body is missing" });
        comment.body = body.body;
        comment.updated_at = new Date().toISOString();
        return send(200, comment);
      }
      if (method === "DELETE") {
        comments.delete(comment.id);
        return send(204);
      }
    }
    // POST /repos/:o/:r/statuses/:sha
    if (kind === "statuses" && a && method === "POST") {
      if (!/^[0-9a-f]{40}$/.test(a)) return send(422, { message: "No commit found for SHA" });
      if (!["pending", "success", "failure", "error"].includes(String(body.state))) {
        return send(422, { message: "state is invalid" });
      }
      const status: DoubleStatus = {
        owner,
        repo,
        sha: a,
        state: String(body.state),
        context: String(body.context ?? "default"),
        ...(typeof body.description === "string" && { description: body.description }),
        ...(typeof body.target_url === "string" && { target_url: body.target_url }),
        at: Date.now(),
      };
      statuses.push(status);
      return send(201, { id: statuses.length, ...status });
    }
    send(404, { message: "Not Found" });
  });

  const list = (owner: string, repo: string, issue: number) =>
    [...comments.values()].filter((c) => c.owner === owner && c.repo === repo && c.issue === issue);

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: origin,
    requests,
    comments: list,
    statuses: (owner, repo, sha) =>
      statuses.filter((s) => s.owner === owner && s.repo === repo && (!sha || s.sha === sha)),
    addComment,
    deleteComment: (id) => void comments.delete(id),
    failNext: (failure) => void failures.push(failure),
    close,
    [Symbol.asyncDispose]: close,
  };
}
