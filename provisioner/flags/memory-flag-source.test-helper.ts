/** A FlagSource over a plain map, for route tests (the real one is the orchestrator). */
import { EventEmitter } from "node:events";
import type { FlagValue } from "../environments/environment-schema.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { FlagSpec } from "../manifest/manifest-schema.ts";
import type { EnvironmentFlags, FlagSource } from "./flag-source.ts";
import { checkFlagWrite } from "./flag-values.ts";

export class MemoryFlagSource implements FlagSource {
  readonly #environments = new Map<string, EnvironmentFlags>();
  readonly #changes = new EventEmitter().setMaxListeners(0);
  readonly changes: Array<{ id: string; values: Record<string, FlagValue>; source: string }> = [];

  add(id: string, declared: Record<string, FlagSpec>): void {
    const values = Object.fromEntries(Object.entries(declared).map(([key, spec]) => [key, spec.default]));
    this.#environments.set(id, { declared, values });
  }

  read(id: string): EnvironmentFlags {
    const flags = this.#environments.get(id);
    if (!flags) throw new NotFoundError(`no environment ${JSON.stringify(id)}`);
    return flags;
  }

  async set(
    id: string,
    values: Record<string, FlagValue>,
    source: string,
  ): Promise<Record<string, FlagValue>> {
    const flags = this.read(id);
    const { unknown, wrongType } = checkFlagWrite(flags.declared, values);
    if (unknown.length || wrongType.length) throw new ValidationError("invalid flag values");
    flags.values = { ...flags.values, ...values };
    this.changes.push({ id, values, source });
    this.#changes.emit(id);
    return flags.values;
  }

  subscribe(id: string, listener: () => void): () => void {
    this.#changes.on(id, listener);
    return () => this.#changes.off(id, listener);
  }
}
