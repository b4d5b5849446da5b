/** Page views and order counts in Redis (REDIS_URL): they live as long as the environment's Redis. */
import { createClient } from "redis";

const client = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
client.on("error", (error: Error) => console.error(`redis: ${error.message}`));

export async function connectCounters(): Promise<void> {
  await client.connect();
}

export async function countView(): Promise<number> {
  return client.incr("views:books");
}

export async function countOrder(): Promise<number> {
  return client.incr("orders:placed");
}

export async function counters(): Promise<{ views: number; orders: number }> {
  const [views, orders] = await client.mGet(["views:books", "orders:placed"]);
  return { views: Number(views ?? 0), orders: Number(orders ?? 0) };
}

export async function pingCounters(): Promise<string> {
  return client.ping();
}

export async function closeCounters(): Promise<void> {
  await client.close();
}
