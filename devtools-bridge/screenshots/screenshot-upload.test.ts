import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../provisioner/errors.ts";
import { parseUpload } from "./screenshot-upload.ts";

/** The first bytes of a PNG: signature, then an IHDR chunk with width and height. */
function pngHead(width: number, height: number): Buffer {
  const head = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(head);
  head.writeUInt32BE(13, 8);
  head.write("IHDR", 12, "latin1");
  head.writeUInt32BE(width, 16);
  head.writeUInt32BE(height, 20);
  return head;
}

const request = (body: unknown, query: Record<string, unknown> = {}) =>
  ({ body, query }) as unknown as Request;

describe("a client's PNG for the screenshot store", () => {
  it("reads its size from the PNG and the page from ?pageUrl", () => {
    const png = pngHead(1280, 720);
    expect(parseUpload(request(png, { pageUrl: "http://web--e.localhost:7070/a" }))).toEqual({
      png,
      pageUrl: "http://web--e.localhost:7070/a",
      width: 1280,
      height: 720,
    });
  });

  it.each([
    ["not a PNG", request(Buffer.from("<html>")), "body"],
    ["no body", request(undefined), "body"],
    ["two page URLs", request(pngHead(1, 1), { pageUrl: ["a", "b"] }), "query.pageUrl"],
  ])("refuses %s", (_, req, field) => {
    expect(() => parseUpload(req)).toThrow(ValidationError);
    try {
      parseUpload(req);
    } catch (error) {
      expect((error as ValidationError).errors?.[0]?.path).toBe(field);
    }
  });
});
