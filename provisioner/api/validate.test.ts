import { z } from "zod";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { parseRequest } from "./validate.ts";

describe("parseRequest", () => {
  const schema = z.strictObject({ name: z.string() });

  it("says a JSON body is expected when there is none (a form post, no Content-Type)", () => {
    const error = (() => {
      try {
        parseRequest(schema, "body", undefined);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      message: "expected a JSON body (Content-Type: application/json)",
      errors: [{ path: "body", message: "expected a JSON object sent as application/json" }],
    });
  });

  it("accepts a missing body when the schema allows one", () => {
    expect(parseRequest(z.object({}).optional(), "body", undefined)).toBeUndefined();
  });

  it("names body fields as they are and query fields with their part", () => {
    expect(() => parseRequest(schema, "body", { name: 5 })).toThrow(/name: .*\(got 5\)/);
    expect(() => parseRequest(z.object({ tail: z.number() }), "query", {})).toThrow(/query\.tail/);
  });
});
