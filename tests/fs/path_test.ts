import assert from "node:assert/strict";
import { posix, win32 } from "node:path";
import {
  dirnamePath,
  isAbsolutePath,
  joinPath,
  type PathFlavour,
  posixPath,
  resolvePath,
  windowsPath,
} from "../../src/fs/path.ts";

/** Path pieces, with roots, dots, doubled and trailing separators, of both platforms. */
const POSIX_PIECES = [
  "",
  ".",
  "..",
  "/",
  "//",
  "a",
  "a/",
  "/a",
  "//a",
  "a/b",
  "/a/b/",
  "a//b",
  "./a",
  "../a",
  "a/..",
  "a/../..",
  "/..",
  "/a/./b/../c",
  "...",
  ".a",
  "a.json",
  "/home/me/.config",
  "C:\\x",
  "a\\b",
];

const WINDOWS_PIECES = [
  "",
  ".",
  "..",
  "\\",
  "/",
  "a",
  "a\\",
  "a/",
  "\\a",
  "/a",
  "a\\b",
  "a/b\\c",
  "a\\\\b",
  ".\\a",
  "..\\a",
  "a\\..",
  "a\\..\\..",
  "\\..",
  "C:\\",
  "C:/",
  "c:\\",
  "C:\\a",
  "C:\\a\\",
  "C:/a/b",
  "C:\\a\\..\\..",
  "D:\\x\\y",
  "C:\\Users\\me\\AppData\\Roaming",
  "\\\\server\\share",
  "\\\\server\\share\\",
  "\\\\server\\share\\a\\b",
  "//server/share/a",
  "\\\\server\\share\\..\\x",
  "\\\\\\a",
  "a:b",
  "x\\a:",
  "1:\\x",
  "...",
  "a.json",
];

function check(actual: () => unknown, expected: () => unknown, what: string): void {
  assert.deepEqual(actual(), expected(), what);
}

function pairs(pieces: string[]): [string, string][] {
  return pieces.flatMap((a) => pieces.map((b): [string, string] => [a, b]));
}

const FLAVOURS: [string, PathFlavour, typeof posix, string[]][] = [
  ["posix", posixPath, posix, POSIX_PIECES],
  ["windows", windowsPath, win32, WINDOWS_PIECES],
];

for (const [name, ours, node, pieces] of FLAVOURS) {
  Deno.test(`${name}: dirname() and isAbsolute() are node:path's`, () => {
    for (const path of pieces) {
      check(() => ours.dirname(path), () => node.dirname(path), `dirname(${JSON.stringify(path)})`);
      check(() => ours.isAbsolute(path), () => node.isAbsolute(path), `isAbsolute(${JSON.stringify(path)})`);
    }
  });

  Deno.test(`${name}: join() of one, two and three parts is node:path's`, () => {
    check(() => ours.join(), () => node.join(), "join()");
    for (const path of pieces) {
      check(() => ours.join(path), () => node.join(path), `join(${JSON.stringify(path)})`);
    }
    for (const [a, b] of pairs(pieces)) {
      check(() => ours.join(a, b), () => node.join(a, b), `join(${JSON.stringify([a, b])})`);
      check(() => ours.join(a, b, "c"), () => node.join(a, b, "c"), `join(${JSON.stringify([a, b, "c"])})`);
    }
  });
}

Deno.test("posix: resolve() is node:path's, against the working directory when nothing is absolute", () => {
  const cwd = Deno.cwd();
  for (const [a, b] of pairs(POSIX_PIECES)) {
    const what = `resolve(${JSON.stringify([a, b])})`;
    check(() => posixPath.resolve(a, b), () => posix.resolve(a, b), what);
    check(() => posixPath.resolveFrom(() => cwd, a, b), () => posix.resolve(a, b), what);
    check(() => posixPath.resolveFrom(() => "/w", "/w", a, b), () => posix.resolve("/w", a, b), what);
  }
  assert.equal(posixPath.resolve(), posix.resolve());
});

Deno.test("windows: resolve() from an absolute directory is node:path's", () => {
  // node:path's win32.resolve asks process.cwd() (a POSIX path here) when no part has a drive: give
  // every call one, as config's `resolve(cwd, path)` does.
  const noCwd = () => {
    throw new Error("the working directory was not needed");
  };
  for (const cwd of ["C:\\work", "c:\\work\\", "\\\\server\\share\\work", "D:\\"]) {
    // `a:b` is on drive a:'s working directory, which node:path asks process.cwd() for.
    for (const path of WINDOWS_PIECES.filter((piece) => !/^[a-z]:(?![\\/])/i.test(piece))) {
      check(
        () => windowsPath.resolveFrom(noCwd, cwd, path),
        () => win32.resolve(cwd, path),
        `resolve(${JSON.stringify([cwd, path])})`,
      );
    }
  }
});

Deno.test("windows: resolve() uses the working directory for relative parts and a drive root for another drive", () => {
  const cwd = () => "C:\\work";
  assert.equal(windowsPath.resolveFrom(cwd, "a", "..\\b"), "C:\\work\\b");
  assert.equal(windowsPath.resolveFrom(cwd, "\\x"), "C:\\x");
  assert.equal(windowsPath.resolveFrom(cwd, "D:rel"), "D:\\rel");
  assert.equal(
    windowsPath.resolveFrom(cwd, "c:rel"),
    "c:\\work\\rel",
    "node:path keeps the part's drive letter",
  );
});

Deno.test("the call sites' paths", () => {
  assert.equal(posixPath.join("/home/me", ".config", "mcp-bridge"), "/home/me/.config/mcp-bridge");
  assert.equal(
    windowsPath.join("C:\\Users\\me\\AppData\\Roaming", "mcp-bridge"),
    "C:\\Users\\me\\AppData\\Roaming\\mcp-bridge",
  );
  assert.equal(posixPath.dirname("/home/me/.cursor/mcp.json"), "/home/me/.cursor");
  assert.equal(windowsPath.dirname("C:\\Users\\me\\.cursor\\mcp.json"), "C:\\Users\\me\\.cursor");
  assert.equal(windowsPath.dirname("\\\\server\\share\\mcp.json"), "\\\\server\\share\\");
  assert.ok(windowsPath.isAbsolute("c:/x"));
  assert.ok(!windowsPath.isAbsolute("c:x"));
  assert.ok(!posixPath.isAbsolute("C:\\x"));
  assert.equal(posixPath.resolveFrom(() => "/unused", "/work", "../etc/x.pem"), "/etc/x.pem");
});

Deno.test("joinPath(), dirnamePath(), isAbsolutePath() and resolvePath() follow this platform", () => {
  const node = Deno.build.os === "windows" ? win32 : posix;
  assert.equal(joinPath("a", "b", "../c"), node.join("a", "b", "../c"));
  assert.equal(dirnamePath("a/b/c"), node.dirname("a/b/c"));
  assert.equal(isAbsolutePath("/a"), node.isAbsolute("/a"));
  assert.equal(resolvePath("a", "b"), node.resolve("a", "b"));
});
