/**
 * What kind of address a URL's host is, and whether a URL that came from the server (or from its
 * metadata) may be fetched. Pure: no DNS, no I/O.
 *
 * A server-supplied URL must not be a way into the user's machine or network: it must be https (or
 * http to loopback when the MCP server itself is on loopback), never a link-local, cloud metadata,
 * multicast or reserved address, and a loopback or private address only when the MCP server is on
 * the same kind of address. `--allow-http` relaxes the scheme rule, never the address rules.
 *
 * @module
 */

/** The kinds of host a URL can name. */
export type AddressKind = "loopback" | "private" | "link-local" | "reserved" | "public";

const LOOPBACK_NAME = /^(localhost|[^\s]*\.localhost)\.?$/i;
/** Names of cloud metadata services (the addresses are link-local and caught below). */
const METADATA_NAMES = new Set(["metadata", "metadata.google.internal", "metadata.goog", "instance-data"]);

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** The eight 16-bit groups of an IPv6 literal (brackets already removed), or `undefined`. */
function parseIpv6(text: string): number[] | undefined {
  let host = text.replace(/%.*$/, "");
  // A trailing dotted IPv4 part becomes two groups.
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(host);
  if (v4) {
    const octets = parseIpv4(v4[1]!);
    if (!octets) return undefined;
    host = host.slice(0, -v4[1]!.length) +
      `${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const halves = host.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? fill : 0).fill("0"), ...tail];
  const out: number[] = [];
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    out.push(parseInt(group, 16));
  }
  return out.length === 8 ? out : undefined;
}

function kindOfIpv4([a, b, c, d]: number[]): AddressKind {
  if (a === 127 || a === 0) return "loopback"; // 0.0.0.0/8 reaches the local machine on Linux.
  if (a === 169 && b === 254) return "link-local";
  if (a === 100 && b === 100 && c === 100 && d === 200) return "link-local"; // Alibaba Cloud metadata.
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b! >= 64 && b! <= 127) return "private"; // Carrier-grade NAT, often a VPN.
  if (a! >= 224) return "reserved"; // Multicast, reserved, broadcast.
  return "public";
}

function zeros2(g: number[], from: number, to: number): boolean {
  return g.slice(from, to).every((x) => x === 0);
}

function kindOfIpv6(g: number[]): AddressKind {
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(7) && (g[7] === 1 || g[7] === 0)) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses take the IPv4 kind.
  if ((zeros(5) && g[5] === 0xffff) || zeros(6)) {
    return kindOfIpv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]);
  }
  // NAT64 (64:ff9b::/96, 64:ff9b:1::/48) and 6to4 (2002::/16) carry an IPv4 address that a gateway
  // reaches: they take its kind.
  if (g[0] === 0x64 && g[1] === 0xff9b && (zeros2(g, 2, 6) || g[2] === 1)) {
    return kindOfIpv4([g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff]);
  }
  if (g[0] === 0x2002) return kindOfIpv4([g[1]! >> 8, g[1]! & 0xff, g[2]! >> 8, g[2]! & 0xff]);
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if (g[0] === 0xfd00 && g[1] === 0x0ec2) return "link-local"; // AWS IPv6 metadata (fd00:ec2::254).
  if ((g[0]! & 0xfe00) === 0xfc00 || (g[0]! & 0xffc0) === 0xfec0) return "private";
  if ((g[0]! & 0xff00) === 0xff00) return "reserved";
  return "public";
}

/**
 * The kind of address a host names, from its text alone (names other than `localhost` and known
 * metadata names are taken as public: Deno's `--allow-net` list is what limits them).
 *
 * @example Usage
 * ```ts
 * import { addressKind } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(addressKind("127.0.0.1"), "loopback");
 * assert.equal(addressKind("[fe80::1]"), "link-local");
 * assert.equal(addressKind("10.1.2.3"), "private");
 * assert.equal(addressKind("example.com"), "public");
 * ```
 *
 * @param hostname `URL.hostname` (IPv6 literals in brackets, as `URL` gives them).
 * @returns The kind.
 */
export function addressKind(hostname: string): AddressKind {
  const host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = parseIpv6(host.slice(1, -1));
    return groups ? kindOfIpv6(groups) : "reserved";
  }
  const v4 = parseIpv4(host);
  if (v4) return kindOfIpv4(v4);
  if (LOOPBACK_NAME.test(host)) return "loopback";
  if (METADATA_NAMES.has(host.replace(/\.$/, ""))) return "link-local";
  return "public";
}

/**
 * Whether a host name is a loopback address (plain http is allowed there without `--allow-http`).
 *
 * @example Usage
 * ```ts
 * import { isLoopbackHost } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isLoopbackHost("127.0.0.1"), true);
 * assert.equal(isLoopbackHost("[::1]"), true);
 * assert.equal(isLoopbackHost("example.com"), false);
 * ```
 *
 * @param hostname `URL.hostname`.
 * @returns True for `localhost`, `127.0.0.0/8` and `[::1]`.
 */
export function isLoopbackHost(hostname: string): boolean {
  return /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i.test(hostname);
}

/**
 * Why a URL that came from the server or its metadata must not be fetched, or `undefined` when it
 * may be. See the module documentation for the rules.
 *
 * @example Usage
 * ```ts
 * import { serverSuppliedUrlProblem } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * const server = new URL("https://mcp.example.com/mcp");
 * assert.equal(serverSuppliedUrlProblem(new URL("https://auth.example.com/"), server, false), undefined);
 * assert.match(
 *   serverSuppliedUrlProblem(new URL("https://169.254.169.254/latest"), server, false)!,
 *   /link-local/,
 * );
 * assert.match(serverSuppliedUrlProblem(new URL("http://127.0.0.1:8080/"), server, true)!, /loopback/);
 * ```
 *
 * @param target The URL the server supplied.
 * @param server The MCP server URL the user gave.
 * @param allowHttp `--allow-http`: plain http is allowed to any host the address rules allow.
 * @returns The reason, in words that finish the sentence "Refusing <url>: …".
 */
export function serverSuppliedUrlProblem(target: URL, server: URL, allowHttp: boolean): string | undefined {
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    return `the scheme "${target.protocol}" is not https`;
  }
  if (target.username !== "" || target.password !== "") return "it carries credentials";
  const kind = addressKind(target.hostname);
  const serverKind = addressKind(server.hostname);
  if (kind === "link-local") {
    return `it points at a link-local or cloud metadata address (${target.hostname})`;
  }
  if (kind === "reserved") return `it points at a multicast or reserved address (${target.hostname})`;
  if ((kind === "loopback" || kind === "private") && kind !== serverKind) {
    return `it points at a ${kind} address (${target.hostname}) and the MCP server is not on one`;
  }
  if (target.protocol === "http:" && !allowHttp && !(kind === "loopback" && serverKind === "loopback")) {
    return "it is not https (plain http only on loopback, or anywhere with --allow-http)";
  }
  return undefined;
}
