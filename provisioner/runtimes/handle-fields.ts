/** Checks for the fields of a deployment's `handle`, which comes back from persisted JSON untyped. */
export function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) < 65536;
}
