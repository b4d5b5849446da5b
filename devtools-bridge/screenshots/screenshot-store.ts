/**
 * Screenshots on disk: `<env data dir>/screenshots/<sid>.png` with a `<sid>.json` beside it,
 * so they go when the environment's data dir goes.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { NotFoundError } from "../../provisioner/errors.ts";

export interface ScreenshotRecord {
  id: string;
  /** The page that was captured. */
  pageUrl: string;
  width: number;
  height: number;
  consoleErrors: string[];
  createdAt: string;
}

const idPattern = /^[a-z0-9-]{1,64}$/;

export class ScreenshotStore {
  constructor(private readonly envDataDir: (envId: string) => string) {}

  async save(
    envId: string,
    png: Buffer,
    record: Omit<ScreenshotRecord, "id" | "createdAt">,
  ): Promise<ScreenshotRecord> {
    const dir = this.#dir(envId);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const now = new Date();
    const id = `${now.getTime().toString(36)}-${randomBytes(4).toString("hex")}`;
    const full: ScreenshotRecord = { id, ...record, createdAt: now.toISOString() };
    await writeFile(path.join(dir, `${id}.png`), png);
    await writeFile(path.join(dir, `${id}.json`), JSON.stringify(full));
    return full;
  }

  async list(envId: string): Promise<ScreenshotRecord[]> {
    const dir = this.#dir(envId);
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json"));
    const records = await Promise.all(
      files.map((f) =>
        readFile(path.join(dir, f), "utf8")
          .then((text) => JSON.parse(text) as ScreenshotRecord)
          .catch(() => undefined),
      ),
    );
    return records
      .filter((r): r is ScreenshotRecord => r !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The PNG of screenshot `id`; NotFoundError for an unknown (or malformed) id. */
  async read(envId: string, id: string): Promise<Buffer> {
    if (!idPattern.test(id)) throw new NotFoundError(`no screenshot ${JSON.stringify(id)}`);
    return readFile(path.join(this.#dir(envId), `${id}.png`)).catch(() => {
      throw new NotFoundError(`no screenshot ${JSON.stringify(id)} in environment ${envId}`);
    });
  }

  #dir(envId: string): string {
    return path.join(this.envDataDir(envId), "screenshots");
  }
}
