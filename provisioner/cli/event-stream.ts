/** Reads a Server-Sent Events response as an async sequence of parsed `data:` payloads. */
import { createParser } from "eventsource-parser";

export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const pending: unknown[] = [];
  const parser = createParser({ onEvent: (message) => pending.push(JSON.parse(message.data)) });
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
