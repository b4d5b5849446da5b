import { HttpError } from "@shop/shared";

/** Reads an optional positive integer (query parameter or JSON field); 400 when it is not one. */
export function positiveInt(value: unknown, field: string, fallback?: number): number {
  if (value === undefined || value === null || value === "") {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, "invalid_input", `${field}: required`);
  }
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new HttpError(400, "invalid_input", `${field}: expected a positive integer`);
  return n;
}

export function requiredString(value: unknown, field: string): string {
  if (typeof value !== "string" || !value.trim()) {
    throw new HttpError(400, "invalid_input", `${field}: expected a non-empty string`);
  }
  return value.trim();
}

export function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === "") return null;
  return requiredString(value, field);
}

/** "2027-12" means the card is valid through 2027-12-31; a full date is taken as is. */
export function cardExpiry(value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  const match = typeof value === "string" ? /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(value) : null;
  const [, year, month, day] = match ?? [];
  if (!year || !month || Number(month) < 1 || Number(month) > 12) {
    throw new HttpError(400, "invalid_input", 'cardExpires: expected "YYYY-MM" or "YYYY-MM-DD"');
  }
  if (day) return `${year}-${month}-${day}`;
  const lastDay = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  return `${year}-${month}-${String(lastDay).padStart(2, "0")}`;
}
