/** Reads an SSE response in tests: each event's id and parsed data, as they arrive. */
import { createParser } from "eventsource-parser";

export interface SseEvent {
  id?: string;
  data: unknown;
}

export class SseReader {
  readonly events: SseEvent[] = [];
  #waiters: Array<() => void> = [];
  readonly done: Promise<void>;

  constructor(response: Response) {
    const parser = createParser({
      onEvent: (message) => {
        this.events.push({
          ...(message.id !== undefined && { id: message.id }),
          data: JSON.parse(message.data),
        });
        for (const wake of this.#waiters.splice(0)) wake();
      },
    });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    this.done = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.feed(value);
        }
      } catch {
        // aborted by the test
      } finally {
        for (const wake of this.#waiters.splice(0)) wake();
      }
    })();
  }

  /** Resolves with the first event (from the start) that `matches`, or rejects after `timeoutMs`. */
  async waitFor(matches: (event: SseEvent) => boolean, timeoutMs: number): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(matches);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
