import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { validateDir, validateRef, validateRepo } from "./ref-validation.ts";

function rejection(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("validateRef", () => {
  it.each([
    "main",
    "feature/x",
    "release-1.2",
    "refs/heads/main",
    "v1.0.0",
    "a.b/c_d",
    "0123456789abcdef0123456789abcdef01234567",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  ])("accepts %s", (ref) => {
    expect(() => validateRef(ref)).not.toThrow();
  });

  it.each([
    ["--upload-pack=touch /tmp/x", '"-"'],
    ["-h", '"-"'],
    ["a..b", '".."'],
    ["x.lock", '".lock"'],
    ["feature/x.lock/y", '".lock"'],
    ["feature\r\nx", "control characters"],
    ["tab\there", "control characters"],
    ["del\x7f", "control characters"],
    ["with space", "spaces"],
    ["a~1", '"~"'],
    ["a^", '"^"'],
    ["a:b", '":"'],
    ["a?", '"?"'],
    ["a*", '"*"'],
    ["a[b", '"["'],
    ["a\\b", '"\\\\"'],
    ["a@{1}", '"@{"'],
    ["@", '"@"'],
    [".hidden", '"."'],
    ["feature/.x", '"."'],
    ["trailing/", '"/"'],
    ["/leading", '"/"'],
    ["a//b", '"//"'],
    ["end.", '"."'],
    ["", "empty"],
  ])("refuses %j", (ref, why) => {
    const error = rejection(() => validateRef(ref));
    expect(error.errors).toEqual([{ path: "ref", message: error.message }]);
    expect(error.message).toContain(JSON.stringify(ref));
    expect(error.message).toContain(why);
  });
});

describe("validateRepo", () => {
  it.each([
    ["/srv/repos/shop", "local"],
    ["./shop", "local"],
    ["../shop", "local"],
    ["shop", "local"],
    ["./odd:name", "local"],
    ["file:///srv/repos/shop.git", "remote"],
    ["https://github.com/acme/shop.git", "remote"],
    ["http://127.0.0.1:8080/shop.git", "remote"],
    ["ssh://git@github.com/acme/shop.git", "remote"],
    ["git@github.com:acme/shop.git", "remote"],
  ])("accepts %s as %s", (repo, kind) => {
    expect(validateRepo(repo)).toBe(kind);
  });

  it.each([
    ["ext::sh -c touch% /tmp/pwned", "transport"],
    ["fd::17", "transport"],
    ["foo::bar", "transport"],
    ["./x::y", "transport"],
    ["-u/tmp/x", '"-"'],
    ["--upload-pack=touch /tmp/x", '"-"'],
    ["git://github.com/acme/shop.git", "git scheme is not allowed"],
    ["ftp://example.com/shop.git", "ftp scheme is not allowed"],
    ["ssh://-oProxyCommand=touch%20%2Ftmp%2Fx/shop", '"-"'],
    ["git@-oProxyCommand=x:shop", '"-"'],
    ["host:path", "expected a local path"],
    ["https://", "not a valid URL"],
    ["/tmp/a\nb", "control characters"],
    ["", "empty"],
  ])("refuses %j", (repo, why) => {
    const error = rejection(() => validateRepo(repo));
    expect(error.errors).toEqual([{ path: "repo", message: error.message }]);
    expect(error.message).toContain(JSON.stringify(repo));
    expect(error.message).toContain(why);
  });
});

describe("validateDir", () => {
  it.each([
    ["apps/shop", "apps/shop"],
    ["./apps/shop/", "apps/shop"],
    [".", "."],
    ["a/./b", "a/b"],
  ])("accepts %s as %s", (dir, normalized) => {
    expect(validateDir(dir)).toBe(normalized);
  });

  it.each(["/abs", "../up", "a/../../b", "a/..", "-rf", "a\\b", "a\nb", ""])("refuses %j", (dir) => {
    const error = rejection(() => validateDir(dir));
    expect(error.errors?.[0]?.path).toBe("dir");
    expect(error.message).toContain(JSON.stringify(dir));
  });
});
