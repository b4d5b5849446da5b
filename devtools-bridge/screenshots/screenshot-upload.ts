/**
 * `POST …/screenshots` with `Content-Type: image/png`: a PNG a client captured itself (the MCP
 * browser tools screenshot the page an agent drives, as it is now), stored beside previewd's own
 * so it has a URL to share. `?pageUrl=` says which page it shows.
 */
import type { Request } from "express";
import { ValidationError } from "../../provisioner/errors.ts";

/** A full-page capture of a long page at twice the pixels stays well under this. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface ScreenshotUpload {
  png: Buffer;
  pageUrl: string;
  width: number;
  height: number;
}

export function parseUpload(req: Request): ScreenshotUpload {
  const png = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  // The IHDR chunk comes first: its width and height are bytes 16–23.
  if (
    png.length < 24 ||
    !png.subarray(0, 8).equals(pngSignature) ||
    png.toString("latin1", 12, 16) !== "IHDR"
  ) {
    throw new ValidationError("the body is not a PNG", {
      errors: [{ path: "body", message: "expected a PNG image (Content-Type: image/png)" }],
    });
  }
  const pageUrl = req.query.pageUrl;
  if (pageUrl !== undefined && (typeof pageUrl !== "string" || pageUrl.length > 4096)) {
    throw new ValidationError("pageUrl is not one URL", {
      errors: [{ path: "query.pageUrl", message: "expected one URL of at most 4096 characters" }],
    });
  }
  return { png, pageUrl: pageUrl ?? "", width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
