/** Reads a Server-Sent Events response as an async sequence of its decoded messages. */
import { createParser, type EventSourceMessage } from "eventsource-parser";

/** Each message's `data:` parsed as JSON, unless `decode` says otherwise (e.g. to keep its id). */
export async function* readEventStream<T = unknown>(
  body: ReadableStream<Uint8Array>,
  decode: (message: EventSourceMessage) => T = (message) => JSON.parse(message.data) as T,
): AsyncGenerator<T> {
  const pending: T[] = [];
  const parser = createParser({ onEvent: (message) => pending.push(decode(message)) });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
      yield* pending.splice(0);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
