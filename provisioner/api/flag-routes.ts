/**
 * Reading and setting an environment's flags:
 * `GET /v1/environments/:id/flags` → `{<key>: {type, value, default, description?}}`,
 * `PUT …/flags/:key {value}` → that flag, `PATCH …/flags {<key>: <value>}` → every flag.
 * An undeclared key is 404, a value of the wrong type 400; a change needs no restart.
 */
import { Router } from "express";
import { z } from "zod";
import { flagValueSchema, type FlagValue } from "../environments/environment-schema.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { FlagSource } from "../flags/flag-source.ts";
import { allFlagDetails, checkFlagWrite, flagDetails } from "../flags/flag-values.ts";
import { parseRequest } from "./validate.ts";

export const putFlagRequestSchema = z.strictObject({ value: flagValueSchema });
export const patchFlagsRequestSchema = z.record(z.string(), flagValueSchema);

export function flagRoutes(flags: FlagSource): Router {
  const router = Router();

  router.get("/environments/:id/flags", (req, res) => {
    res.json(allFlagDetails(flags.read(req.params.id)));
  });

  router.put("/environments/:id/flags/:key", async (req, res) => {
    const { id, key } = req.params;
    const current = flags.read(id);
    const { value } = parseRequest(putFlagRequestSchema, "body", req.body ?? {});
    // A wrong type is the body's `value`; an undeclared flag is the key in the URL.
    await write(id, current.declared, { [key]: value }, (_key, unknown) =>
      unknown ? "params.key" : "value",
    );
    res.json({ key, ...flagDetails(flags.read(id), key) });
  });

  router.patch("/environments/:id/flags", async (req, res) => {
    const { id } = req.params;
    const current = flags.read(id);
    const values = parseRequest(patchFlagsRequestSchema, "body", req.body ?? {});
    await write(id, current.declared, values, (key) => key);
    res.json(allFlagDetails(flags.read(id)));
  });

  async function write(
    id: string,
    declared: Parameters<typeof checkFlagWrite>[0],
    values: Record<string, FlagValue>,
    pathOf: (key: string, unknown: boolean) => string,
  ): Promise<void> {
    const { unknown, wrongType } = checkFlagWrite(declared, values, (key) =>
      pathOf(key, !Object.hasOwn(declared, key)),
    );
    if (unknown.length)
      throw new NotFoundError(unknown.map((e) => e.message).join("; "), { errors: unknown });
    if (wrongType.length) throw new ValidationError("invalid flag values", { errors: wrongType });
    await flags.set(id, values, "api");
  }

  return router;
}
