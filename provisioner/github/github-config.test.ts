import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { loadGitHubConfig, parseRepos } from "./github-config.ts";

describe("loadGitHubConfig", () => {
  it("has defaults: api.github.com, 7 days, no drafts, no forks, webhook and posting off", () => {
    const config = loadGitHubConfig({});
    expect(config).toMatchObject({
      apiUrl: "https://api.github.com",
      ttl: "7d",
      drafts: false,
      forks: false,
    });
    expect(config.webhookSecret).toBeUndefined();
    expect(config.token).toBeUndefined();
    expect(config.repos.size).toBe(0);
  });

  it("reads every setting", () => {
    const config = loadGitHubConfig({
      GITHUB_WEBHOOK_SECRET: "s",
      GITHUB_TOKEN: "t",
      GITHUB_API_URL: "https://ghe.example.com/api/v3/",
      PREVIEWD_GITHUB_REPOS: "Acme/Shop=https://github.com/acme/shop.git, acme/tools=/srv/tools",
      PREVIEWD_GITHUB_TTL: "3600",
      PREVIEWD_GITHUB_DRAFTS: "true",
      PREVIEWD_PUBLIC_URL: "https://previewd.example.com/",
    });
    expect(config).toMatchObject({
      webhookSecret: "s",
      token: "t",
      apiUrl: "https://ghe.example.com/api/v3",
      ttl: 3600,
      drafts: true,
      publicUrl: "https://previewd.example.com",
    });
    expect([...config.repos]).toEqual([
      ["acme/shop", "https://github.com/acme/shop.git"],
      ["acme/tools", "/srv/tools"],
    ]);
  });

  it("names the variable that is wrong", () => {
    for (const env of [
      { PREVIEWD_GITHUB_TTL: "soon" },
      { PREVIEWD_GITHUB_DRAFTS: "maybe" },
      { GITHUB_API_URL: "ftp://x" },
    ]) {
      const error = (() => {
        try {
          loadGitHubConfig(env);
        } catch (caught) {
          return caught;
        }
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors?.[0]?.path).toBe(Object.keys(env)[0]);
    }
  });

  it("refuses a repository entry without owner/name or source", () => {
    expect(() => parseRepos("acme=/srv/x")).toThrow(ValidationError);
    expect(() => parseRepos("acme/shop")).toThrow(/owner\/name=/);
  });
});
