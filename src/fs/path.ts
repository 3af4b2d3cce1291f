/**
 * The few path operations the bridge needs (`join`, `dirname`, `isAbsolute`, `resolve`), with the
 * results of `node:path`'s, so that the start-up path need not load Deno's Node compatibility layer.
 * The plain functions follow the platform the bridge runs on (`Deno.build.os`); {@linkcode posixPath}
 * and {@linkcode windowsPath} are the two flavours, for tests and for paths of another platform.
 *
 * Windows paths: `\` and `/` both separate; roots are `C:\`, `\` and UNC `\\server\share\`. Device
 * paths (`\\?\…`, `\\.\…`) and the per-drive working directories of `C:relative` are not special.
 *
 * @module
 */

/** The path operations of one platform. */
export interface PathFlavour {
  /** The separator used in results. */
  readonly separator: "/" | "\\";
  /** Joins the non-empty parts with the separator and normalises the result (`.` when empty). */
  join(...parts: string[]): string;
  /** The path without its last segment (`.` for a bare name, the root for a root). */
  dirname(path: string): string;
  /** Whether the path starts at a root. */
  isAbsolute(path: string): boolean;
  /**
   * The absolute, normalised path of the parts taken right to left until one is absolute, then the
   * working directory (`cwd`, default `Deno.cwd()`), without a trailing separator.
   */
  resolve(...parts: string[]): string;
  /** {@linkcode PathFlavour.resolve} against a given working directory. */
  resolveFrom(cwd: () => string, ...parts: string[]): string;
}

interface Root {
  /** `C:` or `\\server\share`; `""` for none. */
  device: string;
  /** Where the path after the root begins. */
  end: number;
  absolute: boolean;
}

function isPosixSeparator(char: string | undefined): boolean {
  return char === "/";
}

function isWindowsSeparator(char: string | undefined): boolean {
  return char === "/" || char === "\\";
}

function skip(path: string, from: number, separators: boolean): number {
  let i = from;
  while (i < path.length && isWindowsSeparator(path[i]) === separators) i++;
  return i;
}

function windowsRoot(path: string): Root {
  if (isWindowsSeparator(path[0])) {
    if (isWindowsSeparator(path[1])) {
      // `\\server\share`: both parts present, or it is only a rooted path.
      const serverEnd = skip(path, 2, false);
      if (serverEnd > 2 && serverEnd < path.length) {
        const shareStart = skip(path, serverEnd, true);
        const shareEnd = skip(path, shareStart, false);
        if (shareStart < path.length && shareEnd > shareStart) {
          return {
            device: `\\\\${path.slice(2, serverEnd)}\\${path.slice(shareStart, shareEnd)}`,
            end: shareEnd,
            absolute: true,
          };
        }
      }
    }
    return { device: "", end: 1, absolute: true };
  }
  if (/^[a-zA-Z]:/.test(path)) {
    const absolute = isWindowsSeparator(path[2]);
    return { device: path.slice(0, 2), end: absolute ? 3 : 2, absolute };
  }
  return { device: "", end: 0, absolute: false };
}

/**
 * Whether a relative Windows path, once normalised, could be read as one on a drive (`a\..\C:x`,
 * `x\a:`): `node:path` then starts it with `.\` (CVE-2024-36139), and so does this.
 */
function looksLikeDevice(path: string, tail: string): boolean {
  if (!path.includes(":")) return false;
  if (/^[a-zA-Z]:/.test(tail)) return true;
  for (let i = path.indexOf(":"); i !== -1; i = path.indexOf(":", i + 1)) {
    if (i === path.length - 1 || isWindowsSeparator(path[i + 1])) return true;
  }
  return false;
}

function posixRoot(path: string): Root {
  const absolute = isPosixSeparator(path[0]);
  return { device: "", end: absolute ? 1 : 0, absolute };
}

/** Resolves `.` and `..` in a path without its root; `..` above the start is kept only when relative. */
function normalizeSegments(
  path: string,
  relative: boolean,
  separator: string,
  isSeparator: (char: string | undefined) => boolean,
): string {
  const segments: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i < path.length && !isSeparator(path[i])) continue;
    const segment = path.slice(start, i);
    start = i + 1;
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length > 0 && segments[segments.length - 1] !== "..") segments.pop();
      else if (relative) segments.push("..");
    } else {
      segments.push(segment);
    }
  }
  return segments.join(separator);
}

function flavour(windows: boolean): PathFlavour {
  const separator = windows ? "\\" : "/";
  const isSeparator = windows ? isWindowsSeparator : isPosixSeparator;
  const rootOf = windows ? windowsRoot : posixRoot;

  function normalize(path: string): string {
    if (path === "") return ".";
    const root = rootOf(path);
    let tail = normalizeSegments(path.slice(root.end), !root.absolute, separator, isSeparator);
    if (tail === "" && !root.absolute) tail = ".";
    if (tail !== "" && isSeparator(path[path.length - 1])) tail += separator;
    if (windows && root.device === "" && !root.absolute && looksLikeDevice(path, tail)) return `.\\${tail}`;
    return `${root.device}${root.absolute ? separator : ""}${tail}`;
  }

  function join(...parts: string[]): string {
    const given = parts.filter((part) => part !== "");
    if (given.length === 0) return ".";
    let joined = given.join(separator);
    // Leading separators from the parts would make a UNC root that the first part did not start.
    const first = given[0]!;
    const unc = windows && isSeparator(first[0]) && isSeparator(first[1]) && first.length > 2 &&
      !isSeparator(first[2]);
    if (windows && !unc) {
      let count = 0;
      while (count < joined.length && isSeparator(joined[count])) count++;
      if (count >= 2) joined = `\\${joined.slice(count)}`;
    }
    return normalize(joined);
  }

  function dirname(path: string): string {
    if (path === "") return ".";
    const root = rootOf(path);
    if (windows && root.device.startsWith("\\\\") && root.end === path.length) return path;
    // A posix root is kept as written (`//a` is in `//`); a UNC root keeps its separator.
    const offset = !windows ? 1 : root.device.startsWith("\\\\") ? root.end + 1 : root.end;
    let end = -1;
    let seenName = false;
    for (let i = path.length - 1; i >= offset; i--) {
      if (!isSeparator(path[i])) seenName = true;
      else if (seenName) {
        end = i;
        break;
      }
    }
    if (end === -1) {
      if (!root.absolute && root.device === "") return ".";
      if (windows) return path.slice(0, offset);
      return "/";
    }
    if (!windows && root.absolute && end === 1) return "//";
    return path.slice(0, end);
  }

  function isAbsolute(path: string): boolean {
    return rootOf(path).absolute;
  }

  function resolveFrom(cwd: () => string, ...parts: string[]): string {
    let device = "";
    let tail = "";
    let absolute = false;
    for (let i = parts.length - 1; i >= -1; i--) {
      let path: string;
      if (i >= 0) {
        path = parts[i]!;
        if (path === "") continue;
      } else if (device === "") {
        path = cwd();
      } else {
        // Another drive's working directory is not known: its root.
        path = cwd();
        if (path.slice(0, 2).toLowerCase() !== device.toLowerCase()) path = `${device}\\`;
      }
      const root = rootOf(path);
      if (root.device !== "") {
        if (device === "") device = root.device;
        else if (root.device.toLowerCase() !== device.toLowerCase()) continue;
      }
      if (absolute) {
        if (device !== "" || !windows) break;
      } else {
        tail = `${path.slice(root.end)}${separator}${tail}`;
        absolute = root.absolute;
        if (absolute && (device !== "" || !windows)) break;
      }
    }
    tail = normalizeSegments(tail, !absolute, separator, isSeparator);
    if (absolute) return `${device}${separator}${tail}`;
    return `${device}${tail}` || ".";
  }

  return {
    separator,
    join,
    dirname,
    isAbsolute,
    resolve: (...parts) => resolveFrom(() => Deno.cwd(), ...parts),
    resolveFrom,
  };
}

/**
 * POSIX paths: `/` separates, `/` is the root.
 *
 * @example Usage
 * ```ts
 * import { posixPath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(posixPath.join("/home/me", ".config", "../x"), "/home/me/x");
 * assert.equal(posixPath.resolveFrom(() => "/work", "a/b", "../c"), "/work/a/c");
 * ```
 */
export const posixPath: PathFlavour = flavour(false);

/**
 * Windows paths: `\` and `/` separate; `C:\`, `\` and `\\server\share\` are roots.
 *
 * @example Usage
 * ```ts
 * import { windowsPath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(windowsPath.join("C:\\Users\\me", "AppData/Roaming"), "C:\\Users\\me\\AppData\\Roaming");
 * assert.ok(windowsPath.isAbsolute("\\\\server\\share\\x"));
 * assert.equal(windowsPath.dirname("C:\\x\\y.json"), "C:\\x");
 * ```
 */
export const windowsPath: PathFlavour = flavour(true);

const native: PathFlavour = Deno.build.os === "windows" ? windowsPath : posixPath;

/**
 * Joins path parts with this platform's separator and normalises the result (`node:path`'s `join`).
 *
 * @example Usage
 * ```ts
 * import { joinPath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * if (Deno.build.os !== "windows") assert.equal(joinPath("/x", "v1", "servers"), "/x/v1/servers");
 * ```
 *
 * @param parts The parts; empty ones are left out.
 * @returns The joined path (`.` when there is none).
 */
export function joinPath(...parts: string[]): string {
  return native.join(...parts);
}

/**
 * The directory of a path on this platform (`node:path`'s `dirname`).
 *
 * @example Usage
 * ```ts
 * import { dirnamePath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * if (Deno.build.os !== "windows") assert.equal(dirnamePath("/home/me/.cursor/mcp.json"), "/home/me/.cursor");
 * assert.equal(dirnamePath("mcp.json"), ".");
 * ```
 *
 * @param path The path.
 * @returns The path without its last segment.
 */
export function dirnamePath(path: string): string {
  return native.dirname(path);
}

/**
 * Whether a path is absolute on this platform (`node:path`'s `isAbsolute`).
 *
 * @example Usage
 * ```ts
 * import { isAbsolutePath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isAbsolutePath("/etc/hosts"));
 * assert.ok(!isAbsolutePath("headers.txt"));
 * ```
 *
 * @param path The path.
 * @returns `true` when it starts at a root.
 */
export function isAbsolutePath(path: string): boolean {
  return native.isAbsolute(path);
}

/**
 * Resolves path parts to an absolute, normalised path on this platform (`node:path`'s `resolve`):
 * the parts right to left until one is absolute, then the working directory.
 *
 * @example Usage
 * ```ts
 * import { resolvePath } from "./path.ts";
 * import assert from "node:assert/strict";
 *
 * if (Deno.build.os !== "windows") assert.equal(resolvePath("/work", "a/../headers.txt"), "/work/headers.txt");
 * ```
 *
 * @param parts The parts.
 * @returns The absolute path.
 */
export function resolvePath(...parts: string[]): string {
  return native.resolve(...parts);
}
