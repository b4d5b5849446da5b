import { describe, expect, it } from "vitest";
import { planFor, pullRequestEventSchema, type PullRequestEvent } from "./pull-request-event.ts";

const sha = "0123456789abcdef0123456789abcdef01234567";
const options = { drafts: false, forks: false };

function event(
  action: string,
  overrides: { draft?: boolean; labels?: string[]; label?: string; headRepo?: string | null } = {},
): PullRequestEvent {
  return pullRequestEventSchema.parse({
    action,
    number: 7,
    pull_request: {
      draft: overrides.draft ?? false,
      head: {
        sha,
        ref: "feature/x",
        repo: overrides.headRepo === null ? null : { full_name: overrides.headRepo ?? "acme/shop" },
      },
      labels: (overrides.labels ?? []).map((name) => ({ name })),
    },
    ...(overrides.label && { label: { name: overrides.label } }),
    repository: { full_name: "acme/shop" },
  });
}

describe("planFor", () => {
  it.each(["opened", "reopened", "synchronize", "ready_for_review"])(
    "deploys the head branch on %s",
    (action) => {
      expect(planFor(event(action), undefined, options)).toEqual({
        kind: "deploy",
        ref: "feature/x",
        sha,
        keep: false,
      });
    },
  );

  it("closes on closed, whatever came before", () => {
    expect(planFor(event("closed"), { closed: true, updatedAt: "" }, options)).toEqual({ kind: "close" });
  });

  it("ignores a late event for a closed PR, but not its reopening", () => {
    const closed = { closed: true, updatedAt: "" };
    expect(planFor(event("synchronize"), closed, options).kind).toBe("ignore");
    expect(planFor(event("reopened"), closed, options).kind).toBe("deploy");
  });

  it("skips preview:skip, drafts (unless enabled) and forks (unless enabled)", () => {
    expect(planFor(event("opened", { labels: ["preview:skip"] }), undefined, options).kind).toBe("skip");
    expect(planFor(event("opened", { draft: true }), undefined, options).kind).toBe("skip");
    expect(planFor(event("opened", { draft: true }), undefined, { ...options, drafts: true }).kind).toBe(
      "deploy",
    );
    expect(planFor(event("converted_to_draft", { draft: true }), undefined, options).kind).toBe("skip");
    expect(planFor(event("opened", { headRepo: "someone/shop" }), undefined, options).kind).toBe("skip");
    expect(planFor(event("opened", { headRepo: null }), undefined, options).kind).toBe("skip");
  });

  it("previews a fork's head through refs/pull/N/head when forks are enabled", () => {
    const plan = planFor(event("opened", { headRepo: "someone/shop" }), undefined, {
      ...options,
      forks: true,
    });
    expect(plan).toMatchObject({ kind: "deploy", ref: "refs/pull/7/head" });
  });

  it("keeps the environment with preview:keep", () => {
    expect(
      planFor(event("labeled", { labels: ["preview:keep"], label: "preview:keep" }), undefined, options),
    ).toMatchObject({ kind: "deploy", keep: true });
    expect(planFor(event("unlabeled", { label: "preview:keep" }), undefined, options)).toMatchObject({
      kind: "deploy",
      keep: false,
    });
  });

  it("ignores other labels and actions", () => {
    expect(planFor(event("labeled", { labels: ["bug"], label: "bug" }), undefined, options).kind).toBe(
      "ignore",
    );
    expect(planFor(event("assigned"), undefined, options).kind).toBe("ignore");
    expect(planFor(event("edited"), undefined, options).kind).toBe("ignore");
  });
});
