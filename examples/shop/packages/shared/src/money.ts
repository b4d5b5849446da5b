const formatters = new Map<string, Intl.NumberFormat>();

/** Formats an amount held in cents, e.g. `formatMoney(1250)` → "$12.50". */
export function formatMoney(cents: number, currency = "USD"): string {
  let formatter = formatters.get(currency);
  if (!formatter) {
    formatter = new Intl.NumberFormat("en-US", { style: "currency", currency });
    formatters.set(currency, formatter);
  }
  return formatter.format(cents / 100);
}
