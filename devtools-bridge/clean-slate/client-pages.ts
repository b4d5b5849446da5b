/**
 * A clean slate per client (SPEC "CDP bridge"): which pages and browser contexts each client
 * connection opened, closed when that connection goes, so the next client never finds another's
 * tabs. Popups belong to whoever owns their opener. A page opened with `PUT /json/new` belongs to
 * the first connection to its own WebSocket (`/devtools/page/<id>`); until then, to nobody.
 * A page nobody owns (the browser's first, which Chrome DevTools MCP, Playwright MCP and
 * chrome-remote-interface drive rather than open their own) belongs to the first client that
 * navigates it; when that client goes it is replaced by a blank page, so one is always there.
 * One per running browser; it works through the bridge's own DevTools connection.
 */
import type { CdpConnection } from "../cdp/cdp-connection.ts";

export interface ClientConnection {
  openedPage(targetId: string): void;
  openedContext(browserContextId: string): void;
  /** It navigated this page: one nobody owns becomes its own. */
  navigated(targetId: string): void;
  /** This is a page-level connection to `targetId`: it takes over a page `PUT /json/new` opened. */
  claim(targetId: string): void;
  /** Closes what it opened, and resolves once those pages are gone. Idempotent. */
  disconnect(): Promise<void>;
}

interface Client {
  pages: Set<string>;
  /** Of its pages, those it took over rather than opened. */
  adopted: Set<string>;
  contexts: Set<string>;
  isOpen(): boolean;
  closing?: Promise<void>;
}

/** How many closed ids `/json/close` still answers for (a client closing its page after leaving). */
const rememberedClosed = 500;
/** Chrome closes a page asynchronously; past this, the cleanup stops waiting for it. */
const closeWaitMs = 5_000;

export class ClientPages {
  readonly #cdp: CdpConnection;
  readonly #onError: (error: unknown) => void;
  readonly #clients = new Set<Client>();
  readonly #unclaimed = new Set<string>();
  readonly #closed = new Set<string>();
  readonly #cleanups = new Set<Promise<void>>();
  readonly #destroyed = new Map<string, () => void>();

  constructor(cdp: CdpConnection, onError: (error: unknown) => void) {
    this.#cdp = cdp;
    this.#onError = onError;
    // The bridge's connection discovers targets (browser-event-logger.ts), so it hears of them all.
    cdp.on("Target.targetCreated", (params) => {
      const info = params.targetInfo as { targetId: string; type: string; openerId?: string };
      if (info.type !== "page" || !info.openerId) return;
      for (const client of this.#clients)
        if (client.pages.has(info.openerId)) client.pages.add(info.targetId);
    });
    cdp.on("Target.targetDestroyed", (params) => {
      const targetId = String(params.targetId);
      this.#unclaimed.delete(targetId);
      for (const client of this.#clients) {
        client.pages.delete(targetId);
        client.adopted.delete(targetId);
      }
      this.#destroyed.get(targetId)?.();
    });
  }

  /** Client connections now open. */
  get connections(): number {
    return [...this.#clients].filter((client) => client.isOpen()).length;
  }

  /** A new client connection; `isOpen` tells whether its WebSocket still is. */
  connect(isOpen: () => boolean): ClientConnection {
    const client: Client = { pages: new Set(), adopted: new Set(), contexts: new Set(), isOpen };
    this.#clients.add(client);
    return {
      openedPage: (targetId) => void client.pages.add(targetId),
      openedContext: (browserContextId) => void client.contexts.add(browserContextId),
      navigated: (targetId) => {
        if (this.#unclaimed.has(targetId)) return;
        for (const other of this.#clients) if (other.pages.has(targetId)) return;
        client.pages.add(targetId);
        client.adopted.add(targetId);
      },
      claim: (targetId) => {
        if (this.#unclaimed.delete(targetId)) client.pages.add(targetId);
      },
      disconnect: () => this.#disconnect(client),
    };
  }

  /** A page `PUT /json/new` opened. */
  openedOverHttp(targetId: string): void {
    this.#unclaimed.add(targetId);
  }

  /** The bridge closed this page when the client that opened it left. */
  closedForClient(targetId: string): boolean {
    return this.#closed.has(targetId);
  }

  /**
   * Waits until every client that has gone has had its pages closed. A client's close frame may
   * arrive just before the next client's request, and its socket's `close` event only after: a
   * WebSocket no longer open counts as gone here already.
   */
  async settle(): Promise<void> {
    for (const client of this.#clients) if (!client.isOpen()) void this.#disconnect(client);
    await Promise.all([...this.#cleanups]);
  }

  #disconnect(client: Client): Promise<void> {
    client.closing ??= this.#track(this.#closeAll(client));
    return client.closing;
  }

  #track(cleanup: Promise<void>): Promise<void> {
    const tracked = cleanup.catch(this.#onError).finally(() => this.#cleanups.delete(tracked));
    this.#cleanups.add(tracked);
    return tracked;
  }

  async #closeAll(client: Client): Promise<void> {
    this.#clients.delete(client);
    const pages = [...client.pages];
    const contexts = [...client.contexts];
    if (pages.length === 0 && contexts.length === 0) return;
    for (const targetId of pages) this.#remember(targetId);
    // First the blank page that takes the place of the ones it took over, so there always is one.
    if (client.adopted.size > 0)
      await this.#cdp.send("Target.createTarget", { url: "about:blank" }).catch(() => undefined);
    await Promise.all([
      ...pages.map((targetId) => this.#closePage(targetId)),
      ...contexts.map((browserContextId) =>
        // Closes the context's pages too; a context the client disposed itself is already gone.
        this.#cdp.send("Target.disposeBrowserContext", { browserContextId }).catch(() => undefined),
      ),
    ]);
  }

  /**
   * Runs `close` (true when it closed the page) and then waits for Chrome to report the page
   * destroyed: closing is asynchronous, and a client that closes a page and then lists pages must
   * not find it there.
   */
  async closeAndWait<T>(
    targetId: string,
    close: () => Promise<T>,
    closed: (result: T) => boolean,
  ): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const destroyed = new Promise<void>((resolve) => {
      this.#destroyed.set(targetId, resolve);
      timer = setTimeout(resolve, closeWaitMs);
      timer.unref();
    });
    try {
      const result = await close();
      if (closed(result)) await destroyed;
      return result;
    } finally {
      clearTimeout(timer);
      this.#destroyed.delete(targetId);
    }
  }

  async #closePage(targetId: string): Promise<void> {
    await this.closeAndWait(
      targetId,
      () =>
        this.#cdp.send("Target.closeTarget", { targetId }).then(
          () => true,
          () => false, // closed by the client already, or the browser is gone
        ),
      (closed) => closed,
    );
  }

  #remember(targetId: string): void {
    this.#closed.add(targetId);
    if (this.#closed.size > rememberedClosed) {
      const oldest = this.#closed.values().next().value;
      if (oldest !== undefined) this.#closed.delete(oldest);
    }
  }
}
