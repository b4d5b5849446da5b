/**
 * Labels on every browser process (inherited by its children, readable in /proc/<pid>/environ),
 * the same variables the process runtime uses (provisioner/runtimes/process/process-labels.ts;
 * duplicated so the bridge never imports runtimes). `PREVIEWD_ROLE=browser` tells a browser from
 * an app, so a restarted previewd kills its old browsers instead of adopting them.
 */
import { readdir, readFile } from "node:fs/promises";

export const OWNER_LABEL = "PREVIEWD_OWNER";
export const ENV_LABEL = "PREVIEWD_ENV_ID";
export const ROLE_LABEL = "PREVIEWD_ROLE";
export const NAME_LABEL = "PREVIEWD_NAME";
export const BROWSER_ROLE = "browser";

export function browserLabels(owner: string, envId: string): Record<string, string> {
  return { [OWNER_LABEL]: owner, [ENV_LABEL]: envId, [ROLE_LABEL]: BROWSER_ROLE, [NAME_LABEL]: "browser" };
}

/** previewd's secrets and labels must not reach the browser; its own labels are added after. */
const hiddenVariables = /^(PREVIEWD_|GITHUB_TOKEN$|GITHUB_WEBHOOK_SECRET$)/;

export function browserEnvironment(
  labels: Record<string, string>,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined && !hiddenVariables.test(key)) env[key] = value;
  }
  return { ...env, ...labels };
}

export interface LabelledBrowser {
  pid: number;
  pgid: number;
  envId: string;
}

/** Live browser processes labelled with `owner`, except this process. */
export async function findBrowsers(owner: string): Promise<LabelledBrowser[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const found = await Promise.all(
    entries.filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid).map((e) => inspect(Number(e), owner)),
  );
  return found.filter((b): b is LabelledBrowser => b !== undefined);
}

async function inspect(pid: number, owner: string): Promise<LabelledBrowser | undefined> {
  try {
    const environ = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0");
    if (!environ.includes(`${OWNER_LABEL}=${owner}`) || !environ.includes(`${ROLE_LABEL}=${BROWSER_ROLE}`))
      return undefined;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid pgrp …`: comm may hold spaces, so parse after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined;
    const envId = environ.find((e) => e.startsWith(`${ENV_LABEL}=`))?.slice(ENV_LABEL.length + 1) ?? "";
    return { pid, pgid: Number(fields[2]), envId };
  } catch {
    return undefined;
  }
}

/** Kills every browser a previous run of this owner left behind (their whole process groups). */
export async function killStaleBrowsers(owner: string): Promise<LabelledBrowser[]> {
  const stale = await findBrowsers(owner);
  const ownGroup = await groupOf(process.pid);
  for (const browser of stale) {
    // Browsers run in their own group; never signal previewd's own group, whatever the labels say.
    const groups = browser.pgid > 1 && browser.pgid !== ownGroup ? [-browser.pgid] : [];
    for (const target of [...groups, browser.pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // already gone, or not a group leader
      }
    }
  }
  return stale;
}

async function groupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}
