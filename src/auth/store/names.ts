/**
 * The rules for store keys and lock names. Both become parts of file names, so they are kept to
 * `[A-Za-z0-9_-]`: no dots (a lock file is `<key>.<name>.lock`, which must stay unambiguous), no
 * separators, nothing hidden.
 *
 * @module
 */

const KEY = /^[A-Za-z0-9_-]{1,128}$/;
const LOCK_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Whether a string can be a store key.
 *
 * @example Usage
 * ```ts
 * import { isStoreKey } from "./names.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isStoreKey("3f2a9c"), true);
 * assert.equal(isStoreKey("../etc"), false);
 * ```
 *
 * @param key The candidate.
 * @returns True when it is 1 to 128 characters of `[A-Za-z0-9_-]`.
 */
export function isStoreKey(key: string): boolean {
  return KEY.test(key);
}

/**
 * Throws unless a string can be a store key.
 *
 * @example Usage
 * ```ts
 * import { assertStoreKey } from "./names.ts";
 * import assert from "node:assert/strict";
 *
 * assertStoreKey("3f2a9c");
 * assert.throws(() => assertStoreKey("a/b"), TypeError);
 * ```
 *
 * @param key The candidate.
 * @throws {TypeError} When it is not 1 to 128 characters of `[A-Za-z0-9_-]`.
 */
export function assertStoreKey(key: string): void {
  if (!KEY.test(key)) {
    throw new TypeError(`Invalid store key: ${JSON.stringify(key)} (expected 1 to 128 of A-Z a-z 0-9 _ -)`);
  }
}

/**
 * Throws unless a string can be a lock name.
 *
 * @example Usage
 * ```ts
 * import { assertLockName } from "./names.ts";
 * import assert from "node:assert/strict";
 *
 * assertLockName("signin");
 * assert.throws(() => assertLockName("sign.in"), TypeError);
 * ```
 *
 * @param name The candidate.
 * @throws {TypeError} When it is not 1 to 64 characters of `[A-Za-z0-9_-]`.
 */
export function assertLockName(name: string): void {
  if (!LOCK_NAME.test(name)) {
    throw new TypeError(`Invalid lock name: ${JSON.stringify(name)} (expected 1 to 64 of A-Z a-z 0-9 _ -)`);
  }
}
