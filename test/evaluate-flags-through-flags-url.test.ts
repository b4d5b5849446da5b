/**
 * An app (or an agent) reads an environment's flags with the OpenFeature server SDK and the OFREP
 * provider, configured with the environment's `flagsUrl`, the very URL its apps get as
 * PREVIEW_FLAGS_URL. The mistakes apps make most, a wrong base URL and a missing token, come back
 * as messages the provider surfaces as far as it can.
 */
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature, type EvaluationDetails, type FlagValue, type Hook } from "@openfeature/server-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const manifest = `version: 1
name: flags
apps:
  web:
    path: apps/web
    start: node server.js
    health: /healthz
flags:
  new-checkout: { type: boolean, default: false }
  banner-text: { type: string, default: Welcome }
`;
// Tells what it was given to read its flags with.
const webServer = `import http from "node:http";
http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ url: process.env.PREVIEW_FLAGS_URL, token: process.env.PREVIEW_FLAGS_TOKEN }));
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const token = "flags-url-token";
const auth = { authorization: `Bearer ${token}` };
let harness: Harness;
let env: EnvironmentView;
let given: { url: string; token: string };

/** A client of its own (an OpenFeature domain) whose provider is configured with `baseUrl` and `headers`. */
async function flagsClient(domain: string, baseUrl: string, headers: [string, string][] = []) {
  await OpenFeature.setProviderAndWait(domain, new OFREPProvider({ baseUrl, headers }));
  return OpenFeature.getClient(domain);
}

beforeAll(async () => {
  harness = await startHarness({ token });
  const repo = createFixtureRepo({ files: { "preview.yaml": manifest, "apps/web/server.js": webServer } });
  const created = await harness.request<EnvironmentView>(
    "POST",
    "/v1/environments?wait=true&timeout=120",
    { repo: repo.dir },
    auth,
  );
  env = created.body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
  given = (await (await fetch(env.apps.web!.directUrl!)).json()) as typeof given;
});
afterAll(async () => {
  await OpenFeature.close();
  await harness?.close();
});

describe("OpenFeature through flagsUrl", () => {
  it("gives the OFREP base URL apps get as PREVIEW_FLAGS_URL", () => {
    expect(env.flagsUrl).toBe(`${harness.url}/v1/environments/${env.id}`);
    expect(given.url).toBe(env.flagsUrl);
  });

  it("evaluates flags with the app's flags token, and sees a change without a restart", async () => {
    const flags = await flagsClient("right", env.flagsUrl, [["Authorization", `Bearer ${given.token}`]]);
    expect(await flags.getBooleanValue("new-checkout", true)).toBe(false);
    expect(await flags.getStringDetails("banner-text", "none")).toMatchObject({
      value: "Welcome",
      reason: "DEFAULT",
    });
    const changed = await harness.request(
      "PATCH",
      `/v1/environments/${env.id}/flags`,
      { "new-checkout": true },
      auth,
    );
    expect(changed.status).toBe(200);
    expect(await flags.getBooleanValue("new-checkout", false)).toBe(true);
    expect(await flags.getBooleanDetails("dark-mode", false)).toMatchObject({ errorCode: "FLAG_NOT_FOUND" });
  });

  it.each([
    ["…/<id>/ofrep", () => `${env.flagsUrl}/ofrep`],
    ["…/<id>/flags", () => `${env.flagsUrl}/flags`],
    ["previewd's origin", () => harness.url],
  ])("names the right base URL when given %s", async (_, baseUrl) => {
    const flags = await flagsClient(`wrong-${baseUrl()}`, baseUrl(), [
      ["Authorization", `Bearer ${given.token}`],
    ]);
    const details = await flags.getBooleanDetails("new-checkout", false);
    expect(details).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    expect(details.errorMessage).toContain(`the OFREP base URL was given as ${baseUrl()}`);
    expect(details.errorMessage).toContain(
      `an environment's is ${baseUrl() === harness.url ? `${harness.url}/v1/environments/<id>` : env.flagsUrl}`,
    );
  });

  it("refuses a missing or wrong token with a 401 that says which token it wants", async () => {
    // The server provider reports a 401 with no message of its own; an error hook sees the response.
    const refusals: string[] = [];
    const hook: Hook = {
      async error(_context, error) {
        const response = (error as { response?: Response }).response;
        if (response?.status === 401)
          refusals.push(((await response.json()) as { errorDetails: string }).errorDetails);
      },
    };
    for (const [domain, headers] of [
      ["no-token", []],
      ["wrong-token", [["Authorization", "Bearer nope"]]],
    ] as [string, [string, string][]][]) {
      const flags = await flagsClient(domain, env.flagsUrl, headers);
      const details: EvaluationDetails<FlagValue> = await flags.getBooleanDetails(
        "new-checkout",
        false,
        {},
        {
          hooks: [hook],
        },
      );
      expect(details).toMatchObject({ value: false, reason: "ERROR", errorCode: "GENERAL" });
    }
    expect(refusals).toEqual([
      expect.stringMatching(/^no bearer token for environment .*PREVIEW_FLAGS_TOKEN/),
      expect.stringMatching(/^wrong bearer token for environment .*PREVIEW_FLAGS_TOKEN/),
    ]);
  });
});
