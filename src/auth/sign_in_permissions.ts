/**
 * Every network permission a sign-in will need, checked at once before it starts: the hosts of the
 * authorization server's endpoints the bridge fetches, and the loopback callback listener. A host
 * configuration missing several of them then takes one edit, not one per failed attempt.
 *
 * @module
 */

/** What a sign-in will reach. */
export interface SignInNeeds {
  /** The authorization server's URLs the bridge fetches (token, registration, device endpoints). */
  urls: readonly URL[];
  /** The callback listener's addresses (`127.0.0.1`, `::1`), when a browser sign-in listens for one. */
  callbackHosts: readonly string[];
  /** Its port, when `--callback-port` fixed one. */
  callbackPort?: number;
}

/** Whether a permission is granted (only `"granted"` counts: without a terminal Deno answers `"prompt"`). */
export type PermissionCheck = (descriptor: Deno.NetPermissionDescriptor) => boolean;

/**
 * The `--allow-net` entries a sign-in lacks, in order, without repeats.
 *
 * @example Usage
 * ```ts
 * import { missingNetForSignIn } from "./sign_in_permissions.ts";
 * import assert from "node:assert/strict";
 *
 * const granted = (d: Deno.NetPermissionDescriptor) => d.host === "mcp.example.com:443";
 * assert.deepEqual(
 *   missingNetForSignIn({ urls: [new URL("https://auth.example.com/token")], callbackHosts: ["127.0.0.1"] }, granted),
 *   ["auth.example.com:443", "127.0.0.1"],
 * );
 * ```
 *
 * @param needs What the sign-in will reach.
 * @param granted The permission check (default: `Deno.permissions.querySync`).
 * @returns The missing entries (empty when nothing is missing).
 */
export function missingNetForSignIn(
  needs: SignInNeeds,
  granted: PermissionCheck = (descriptor) => Deno.permissions.querySync(descriptor).state === "granted",
): string[] {
  const missing: string[] = [];
  const check = (host: string) => {
    if (!missing.includes(host) && !granted({ name: "net", host })) missing.push(host);
  };
  for (const url of needs.urls) {
    check(`${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`);
  }
  for (const host of needs.callbackHosts) {
    const name = host.includes(":") ? `[${host}]` : host;
    check(needs.callbackPort !== undefined ? `${name}:${needs.callbackPort}` : name);
  }
  return missing;
}
