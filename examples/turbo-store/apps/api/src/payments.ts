/** The payments provider's API, which previews reach as a twin (twins/payments) at PAYMENTS_URL. */
const paymentsUrl = process.env.PAYMENTS_URL ?? "http://127.0.0.1:4010";

export type Charge = { id: string; amountCents: number; status: "succeeded" };
export type Declined = { declined: string };

export async function charge(amountCents: number, reference: string): Promise<Charge | Declined> {
  const response = await fetch(`${paymentsUrl}/charges`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ amountCents, currency: "EUR", reference }),
  });
  const body = (await response.json()) as Charge & { error?: string };
  if (response.status === 402) return { declined: body.error ?? "declined" };
  if (!response.ok) throw new Error(`payments answered ${response.status}`);
  return body;
}

/** The twin's own health answer, e.g. `{status: "ok", charges: 2}`. */
export async function paymentsHealth(): Promise<unknown> {
  const response = await fetch(`${paymentsUrl}/healthz`);
  if (!response.ok) throw new Error(`payments answered ${response.status}`);
  return response.json();
}
