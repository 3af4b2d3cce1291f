/**
 * The loopback callback port for the OAuth redirect: predictable per server configuration (a
 * registered or CIMD-listed redirect URI stays valid), with fallbacks when it is taken.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** The lowest default callback port. */
export const CALLBACK_PORT_MIN = 30000;
/** The number of ports in the default range (30000..49999). */
export const CALLBACK_PORT_RANGE = 20000;
/** How many ports after the default are tried when it is taken. */
export const CALLBACK_PORT_FALLBACKS = 9;

/** FNV-1a, 32 bits, over the UTF-16 code units of a string. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The default callback port of a store key: a deterministic port in 30000..49999.
 *
 * @example Usage
 * ```ts
 * import { defaultCallbackPort } from "./callback_port.ts";
 * import assert from "node:assert/strict";
 *
 * const port = defaultCallbackPort("0123456789abcdef0123456789abcdef");
 * assert.equal(port, defaultCallbackPort("0123456789abcdef0123456789abcdef"));
 * assert.ok(port >= 30000 && port <= 49999);
 * ```
 *
 * @param key The store key.
 * @returns The port.
 */
export function defaultCallbackPort(key: string): number {
  return CALLBACK_PORT_MIN + (fnv1a(key) % CALLBACK_PORT_RANGE);
}

/**
 * The callback ports to try in order: only the explicit one when given; otherwise the default port
 * and the 9 ports after it, wrapping from 49999 to 30000.
 *
 * @example Usage
 * ```ts
 * import { callbackPortCandidates, defaultCallbackPort } from "./callback_port.ts";
 * import assert from "node:assert/strict";
 *
 * const key = "0123456789abcdef0123456789abcdef";
 * const ports = callbackPortCandidates(key);
 * assert.equal(ports.length, 10);
 * assert.equal(ports[0], defaultCallbackPort(key));
 * assert.deepEqual(callbackPortCandidates(key, 8080), [8080]);
 * ```
 *
 * @param key The store key.
 * @param explicit The port the user chose, if any.
 * @returns The ports, first choice first.
 * @throws {AuthError} When the explicit port is not a whole number from 1 to 65535.
 */
export function callbackPortCandidates(key: string, explicit?: number): number[] {
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 1 || explicit > 65535) {
      throw new AuthError(`Cannot use callback port ${explicit}: a port is a whole number from 1 to 65535`);
    }
    return [explicit];
  }
  const offset = defaultCallbackPort(key) - CALLBACK_PORT_MIN;
  return Array.from(
    { length: CALLBACK_PORT_FALLBACKS + 1 },
    (_, i) => CALLBACK_PORT_MIN + ((offset + i) % CALLBACK_PORT_RANGE),
  );
}
