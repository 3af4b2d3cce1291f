/**
 * A secret too large for one keychain item, stored in parts: the Windows Credential Manager keeps at
 * most 2560 bytes in a generic credential, and `security -i` on macOS reads at most 4095 characters per
 * command line. A secret that fits is stored whole under its account, as before; a larger one is cut
 * into parts `<account>/<generation>/<i>` and the account's item holds a manifest naming them
 * (`mcp-bridge-parts:1:<generation>:<count>:<bytes>`).
 *
 * Writers store the new parts first, then the manifest (which switches readers over at once: a new
 * generation never overwrites the parts a reader may be reading), then delete the parts of other
 * generations. A reader that finds a part missing or the length wrong read during a write and reads
 * again.
 *
 * @module
 */

/** A secret is at most this large, in parts or not (a record is a few KiB). */
export const MAX_SECRET_BYTES = 64 * 1024;

const MANIFEST_PREFIX = "mcp-bridge-parts:";
const MANIFEST = /^mcp-bridge-parts:1:([0-9a-f]{8}):([1-9][0-9]{0,3}):([0-9]{1,7})$/;

/** What the manifest of a secret in parts says. */
export interface PartsManifest {
  /** Its generation: eight hex digits, new at every write. */
  generation: string;
  /** How many parts. */
  count: number;
  /** The secret's length in bytes. */
  bytes: number;
}

/** How a secret is stored: the account's own item, and the parts (none when it fits). */
export interface SecretLayout {
  /** The account's item: the secret itself, or the manifest. */
  head: Uint8Array;
  /** The parts, in order, by item name. */
  parts: { name: string; data: Uint8Array }[];
}

/** The limits of one keychain. */
export interface PartLimits {
  /** The most bytes one item may hold (at least 64: a manifest must fit). */
  partBytes: number;
  /** The largest secret (default {@linkcode MAX_SECRET_BYTES}). */
  maxBytes?: number;
}

/**
 * A new generation for {@linkcode layoutSecret}: eight random hex digits.
 *
 * @returns The generation.
 */
export function newGeneration(): string {
  return crypto.getRandomValues(new Uint8Array(4)).toHex();
}

/**
 * How to store a secret: whole when it fits in one item (and does not look like a manifest), else in
 * parts under a manifest.
 *
 * @example Usage
 * ```ts
 * import { layoutSecret } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * const small = layoutSecret("k1", new Uint8Array(64), "0a1b2c3d", { partBytes: 64 });
 * assert.equal(small.head.length, 64);
 * assert.deepEqual(small.parts, []);
 *
 * const large = layoutSecret("k1", new Uint8Array(160), "0a1b2c3d", { partBytes: 64 });
 * assert.equal(new TextDecoder().decode(large.head), "mcp-bridge-parts:1:0a1b2c3d:3:160");
 * assert.deepEqual(large.parts.map((p) => [p.name, p.data.length]), [
 *   ["k1/0a1b2c3d/0", 64],
 *   ["k1/0a1b2c3d/1", 64],
 *   ["k1/0a1b2c3d/2", 32],
 * ]);
 * ```
 *
 * @param account The account (a store key).
 * @param secret The secret's bytes.
 * @param generation From {@linkcode newGeneration}.
 * @param limits The keychain's item size, the largest secret.
 * @returns The account's item and the parts.
 * @throws {RangeError} When the secret is larger than `maxBytes` (or an item smaller than a manifest).
 */
export function layoutSecret(
  account: string,
  secret: Uint8Array,
  generation: string,
  limits: PartLimits,
): SecretLayout {
  const maxBytes = limits.maxBytes ?? MAX_SECRET_BYTES;
  if (secret.length > maxBytes) throw new RangeError(`the record is larger than ${maxBytes} bytes`);
  if (!/^[0-9a-f]{8}$/.test(generation)) throw new TypeError(`Invalid generation: ${generation}`);
  if (limits.partBytes < 64) {
    throw new RangeError(`An item of ${limits.partBytes} bytes cannot hold a manifest`);
  }
  const looksLikeManifest = startsWith(secret, MANIFEST_PREFIX);
  if (secret.length <= limits.partBytes && !looksLikeManifest) return { head: secret, parts: [] };
  const parts: SecretLayout["parts"] = [];
  for (let offset = 0, i = 0; offset < secret.length || i === 0; offset += limits.partBytes, i++) {
    parts.push({
      name: partName(account, generation, i),
      data: secret.subarray(offset, offset + limits.partBytes),
    });
  }
  const manifest = `${MANIFEST_PREFIX}1:${generation}:${parts.length}:${secret.length}`;
  return { head: new TextEncoder().encode(manifest), parts };
}

/**
 * The manifest an account's item holds, if it holds one (else the item is the secret itself).
 *
 * @example Usage
 * ```ts
 * import { manifestOf } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * const head = new TextEncoder().encode("mcp-bridge-parts:1:0a1b2c3d:3:40");
 * assert.deepEqual(manifestOf(head), { generation: "0a1b2c3d", count: 3, bytes: 40 });
 * assert.equal(manifestOf(new TextEncoder().encode('{"version":1}')), undefined);
 * ```
 *
 * @param head The account's item.
 * @returns The manifest, or `undefined`.
 */
export function manifestOf(head: Uint8Array): PartsManifest | undefined {
  if (head.length > 64 || !startsWith(head, MANIFEST_PREFIX)) return undefined;
  const match = MANIFEST.exec(new TextDecoder().decode(head));
  if (!match) return undefined;
  return { generation: match[1]!, count: Number(match[2]), bytes: Number(match[3]) };
}

/**
 * The item names of a manifest's parts, in order.
 *
 * @example Usage
 * ```ts
 * import { partNames } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(partNames("k1", { generation: "0a1b2c3d", count: 2, bytes: 20 }), [
 *   "k1/0a1b2c3d/0",
 *   "k1/0a1b2c3d/1",
 * ]);
 * ```
 *
 * @param account The account.
 * @param manifest Its manifest.
 * @returns The names.
 */
export function partNames(account: string, manifest: PartsManifest): string[] {
  return Array.from({ length: manifest.count }, (_, i) => partName(account, manifest.generation, i));
}

/**
 * The secret from its parts, or `undefined` when a part is missing or the length is not the manifest's
 * (read during a write, or damaged).
 *
 * @example Usage
 * ```ts
 * import { joinParts, layoutSecret, manifestOf } from "./_keychain_parts.ts";
 * import assert from "node:assert/strict";
 *
 * const secret = new TextEncoder().encode("x".repeat(160));
 * const { head, parts } = layoutSecret("k1", secret, "0a1b2c3d", { partBytes: 64 });
 * const manifest = manifestOf(head)!;
 * assert.deepEqual(joinParts(manifest, parts.map((p) => p.data)), secret);
 * assert.equal(joinParts(manifest, [parts[0]!.data, undefined, parts[2]!.data]), undefined);
 * ```
 *
 * @param manifest The manifest.
 * @param parts The parts' contents, in order (`undefined` for one not found).
 * @returns The secret's bytes, or `undefined`.
 */
export function joinParts(
  manifest: PartsManifest,
  parts: readonly (Uint8Array | undefined)[],
): Uint8Array | undefined {
  if (parts.length !== manifest.count || parts.some((p) => p === undefined)) return undefined;
  const total = parts.reduce((n, p) => n + p!.length, 0);
  if (total !== manifest.bytes) return undefined;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part!, offset);
    offset += part!.length;
  }
  return out;
}

function partName(account: string, generation: string, i: number): string {
  return `${account}/${generation}/${i}`;
}

function startsWith(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix.charCodeAt(i)) return false;
  return true;
}
