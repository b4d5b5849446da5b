import { createHmac } from "node:crypto";

/** A token that lets an environment's apps read their own flags, and nothing else. */
export function flagsToken(token: string, id: string): string {
  return createHmac("sha256", token).update(`flags:${id}`).digest("base64url");
}
