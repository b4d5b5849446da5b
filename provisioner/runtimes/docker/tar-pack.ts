/**
 * A small ustar writer (with PAX headers for long names) streaming entries from disk or memory.
 * Enough for build contexts and root filesystems; owner, mode and a fixed mtime are set per entry
 * so the same inputs always give the same archive.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";

interface EntryBase {
  /** Path inside the archive, without a leading "/". */
  name: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export type TarEntry =
  | (EntryBase & { type: "file"; source: string; size: number })
  | (EntryBase & { type: "content"; content: Buffer | string })
  | (EntryBase & { type: "dir" })
  | (EntryBase & { type: "symlink"; target: string });

const block = 512;

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

function header(fields: {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  typeflag: string;
  linkname?: string;
}): Buffer {
  const buf = Buffer.alloc(block);
  buf.write(fields.name, 0, 100);
  buf.write(octal(fields.mode, 8), 100);
  buf.write(octal(fields.uid, 8), 108);
  buf.write(octal(fields.gid, 8), 116);
  buf.write(octal(fields.size, 12), 124);
  buf.write(octal(0, 12), 136);
  buf.write("        ", 148);
  buf.write(fields.typeflag, 156);
  if (fields.linkname) buf.write(fields.linkname, 157, 100);
  buf.write("ustar\0", 257);
  buf.write("00", 263);
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(octal(sum, 7) + " ", 148);
  return buf;
}

function padding(size: number): Buffer {
  const rest = size % block;
  return Buffer.alloc(rest === 0 ? 0 : block - rest);
}

/** A PAX extended header carrying names that do not fit ustar's 100 bytes. */
function paxHeader(records: Record<string, string>): Buffer[] {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const line = ` ${key}=${value}\n`;
      let length = Buffer.byteLength(line) + 1;
      while (String(length).length + Buffer.byteLength(line) !== length) length += 1;
      return `${length}${line}`;
    })
    .join("");
  const content = Buffer.from(body);
  return [
    header({ name: "PaxHeader", mode: 0o644, uid: 0, gid: 0, size: content.length, typeflag: "x" }),
    content,
    padding(content.length),
  ];
}

async function* fileContent(source: string, size: number): AsyncGenerator<Buffer> {
  let sent = 0;
  if (size > 0) {
    // O_NOFOLLOW: a file swapped for a symlink since the walk must not pull a host file in.
    const file = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      for await (const chunk of file.createReadStream({ start: 0, end: size - 1, autoClose: false })) {
        const buf = chunk as Buffer;
        sent += buf.length;
        yield buf;
      }
    } finally {
      await file.close();
    }
  }
  // A file that shrank while being read: keep the archive well-formed.
  if (sent < size) yield Buffer.alloc(size - sent);
}

async function* archive(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    const name = entry.type === "dir" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
    const linkname = entry.type === "symlink" ? entry.target : undefined;
    const pax: Record<string, string> = {};
    if (Buffer.byteLength(name) > 99) pax.path = name;
    if (linkname && Buffer.byteLength(linkname) > 99) pax.linkpath = linkname;
    if (Object.keys(pax).length > 0) yield* paxHeader(pax);
    const content =
      entry.type === "content"
        ? Buffer.isBuffer(entry.content)
          ? entry.content
          : Buffer.from(entry.content)
        : undefined;
    const size = entry.type === "file" ? entry.size : (content?.length ?? 0);
    const typeflag = { file: "0", content: "0", dir: "5", symlink: "2" }[entry.type];
    const defaultMode = entry.type === "dir" ? 0o755 : entry.type === "symlink" ? 0o777 : 0o644;
    yield header({
      name: name.slice(0, 99),
      mode: entry.mode ?? defaultMode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      size,
      typeflag,
      ...(linkname && { linkname: linkname.slice(0, 99) }),
    });
    if (entry.type === "file") yield* fileContent(entry.source, size);
    else if (content) yield content;
    yield padding(size);
  }
  yield Buffer.alloc(block * 2);
}

export function tarStream(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  return Readable.from(archive(entries), { objectMode: false });
}
