/**
 * One connection per database for the `sql` steps of one load. Opening one costs ~10 ms quiet and
 * ~50 ms under load (a backend forked, SCRAM), often more than the step; a step still starts as
 * in a session of its own: before reuse an open transaction is rolled back and `DISCARD ALL`
 * drops what the previous step left (settings, temporary tables, prepared statements, locks).
 */
import pg from "pg";

interface Session {
  client: Promise<pg.Client>;
  used: boolean;
}

export class SqlSessions {
  readonly #sessions = new Map<string, Session>();

  /** Starts connecting to `url` (e.g. while something else runs), unless connected already. */
  open(url: string): void {
    if (this.#sessions.has(url)) return;
    const session: Session = { client: connect(url), used: false };
    // Whoever takes it sees the failure; nobody may, so it is never an unhandled rejection.
    session.client.catch(() => {
      if (this.#sessions.get(url) === session) this.#sessions.delete(url);
    });
    this.#sessions.set(url, session);
  }

  /** The session for `url`, clean. Rejects when it cannot connect (the next take tries anew). */
  async take(url: string): Promise<pg.Client> {
    this.open(url);
    const session = this.#sessions.get(url)!;
    const client = await session.client;
    if (!ended.has(client) && (!session.used || (await clean(client)))) {
      session.used = true;
      return client;
    }
    // Cut off since it was opened (while a build ran, say; its database reset) or unusable after
    // the last step: a new one, once.
    this.discard(url);
    this.open(url);
    const fresh = this.#sessions.get(url)!;
    fresh.used = true;
    return fresh.client;
  }

  /** Closes the session for `url` (an aborted step: ending it cancels the query in flight). */
  discard(url: string): void {
    const session = this.#sessions.get(url);
    this.#sessions.delete(url);
    void session?.client.then((client) => client.end()).catch(() => undefined);
  }

  /** Closes every session; call before anything that drops their databases. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(
      sessions.map((session) => session.client.then((client) => client.end()).catch(() => undefined)),
    );
  }
}

/** Rolls back what the last step left open and drops its state; false when that fails. */
async function clean(client: pg.Client): Promise<boolean> {
  try {
    if (client.getTransactionStatus() !== "I") await client.query("ROLLBACK");
    await client.query("DISCARD ALL");
    return true;
  } catch {
    return false;
  }
}

/** Clients whose session ended or failed since they connected. */
const ended = new WeakSet<pg.Client>();

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A session cut off while idle (its database reset) must not take previewd down.
  client.on("error", () => ended.add(client));
  client.on("end", () => ended.add(client));
  await client.connect();
  return client;
}
