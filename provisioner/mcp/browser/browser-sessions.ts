/**
 * The browser sessions of one MCP session: one BrowserSession per environment it drives,
 * connected on first use, connected again when the old connection dropped (the bridge's reset,
 * the browser's idle stop or a restart), all closed when the MCP session ends.
 */
import { BrowserSession, type CdpEndpoint } from "./browser-session.ts";
import { BrowserToolError } from "./browser-errors.ts";

export class BrowserSessions {
  readonly #sessions = new Map<string, Promise<BrowserSession>>();
  readonly #endpoint: (envId: string) => CdpEndpoint;
  #closed = false;

  constructor(endpoint: (envId: string) => CdpEndpoint) {
    this.#endpoint = endpoint;
  }

  /** The environment's session, connecting (again) if need be. */
  async open(envId: string): Promise<BrowserSession> {
    if (this.#closed) throw new BrowserToolError("this MCP session has ended");
    const current = await this.existing(envId);
    if (current) return current;
    const connecting = BrowserSession.connect(envId, this.#endpoint(envId));
    this.#sessions.set(envId, connecting);
    try {
      const session = await connecting;
      // The MCP session ended while this one connected: nobody will close it later.
      if (this.#closed) {
        await session.close();
        throw new BrowserToolError("this MCP session has ended");
      }
      return session;
    } catch (error) {
      if (error instanceof BrowserToolError) throw error;
      if (this.#sessions.get(envId) === connecting) this.#sessions.delete(envId);
      throw new BrowserToolError(
        `could not connect to environment ${envId}'s browser: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
        { cause: error },
      );
    }
  }

  /** The environment's session if it is connected; undefined when there is none (or it dropped). */
  async existing(envId: string): Promise<BrowserSession | undefined> {
    const pending = this.#sessions.get(envId);
    if (!pending) return undefined;
    const session = await pending.catch(() => undefined);
    if (session?.connected) return session;
    if (this.#sessions.get(envId) === pending) this.#sessions.delete(envId);
    await session?.close();
    return undefined;
  }

  /** The environment's session, for tools that act on a page already open. */
  async require(envId: string): Promise<BrowserSession> {
    const session = await this.existing(envId);
    if (session) return session;
    throw new BrowserToolError(
      `no page is open in environment ${envId}'s browser for this session ` +
        "(none yet, or the browser was reset or restarted since): open one with browser_navigate",
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(pending.map((p) => p.then((session) => session.close()).catch(() => undefined)));
  }
}
