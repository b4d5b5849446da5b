// @ts-check
/**
 * The shapes the page reads from /v1, as JSDoc types (provisioner/environments/environment-schema.ts
 * is their source of truth; /openapi.json publishes them).
 *
 * @typedef {{url: string, directUrl: string | null, status: string}} App
 * @typedef {{type: string, status: string}} Service
 * @typedef {{step: string, app?: string, message: string, logTail: string[]}} EnvironmentError
 * @typedef {{
 *   id: string, name: string, repo: string, ref: string, dir: string | null, commit: string,
 *   runtime: string, status: string, scenario: string | null,
 *   seed: {scenario: string, checksum: string, loadedAt: string} | null,
 *   apps: Record<string, App>, services: Record<string, Service>,
 *   flags: Record<string, boolean | string | number>, timings: Record<string, number>,
 *   createdAt: string, updatedAt: string, expiresAt: string | null, error: EnvironmentError | null
 * }} Environment
 * @typedef {{ts: string, step: string, app?: string, status: string, message: string}} StepEvent
 * @typedef {{ts: string, app: string, stream: string, line: string}} LogLine
 * @typedef {{type: string, value: boolean | string | number, default: boolean | string | number, description?: string}} FlagDetails
 * @typedef {{name: string, description: string, steps: number, error: string | null}} Scenario
 * @typedef {{id: string, url: string, pageUrl: string, width: number, height: number, createdAt: string, consoleErrors: string[]}} Screenshot
 */
export {};
