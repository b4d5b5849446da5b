import { EventEmitter } from "node:events";
import type { EnvironmentEvent } from "../environments/environment-schema.ts";

/**
 * Provisioning events per environment: the latest operation's events are kept for replay
 * (SSE clients that connect late), live ones are pushed to subscribers.
 */
export class EventHub {
  readonly #history = new Map<string, EnvironmentEvent[]>();
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  constructor(private readonly capacity = 1000) {}

  /** A new operation starts: forget the previous one's events. */
  reset(id: string): void {
    this.#history.set(id, []);
  }

  emit(id: string, event: EnvironmentEvent): void {
    let history = this.#history.get(id);
    if (!history) this.#history.set(id, (history = []));
    history.push(event);
    if (history.length > this.capacity) history.shift();
    this.#emitter.emit(id, event);
  }

  history(id: string): EnvironmentEvent[] {
    return [...(this.#history.get(id) ?? [])];
  }

  subscribe(id: string, listener: (event: EnvironmentEvent) => void): () => void {
    this.#emitter.on(id, listener);
    return () => this.#emitter.off(id, listener);
  }

  forget(id: string): void {
    this.#history.delete(id);
  }
}
