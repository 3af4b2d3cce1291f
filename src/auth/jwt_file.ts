/**
 * A JWT kept in a file by someone else: the workload's identity token of workload identity federation
 * (SEP-1933; Kubernetes projected service-account tokens, GitHub Actions OIDC written by a step, cloud
 * metadata agents rotate it), or the user's ID token from the enterprise identity provider (SEP-990).
 * Read afresh for every token request; never logged.
 *
 * @module
 */

import { AuthError } from "./errors.ts";

/** The largest token file read (real ones are a few KiB). */
export const MAX_JWT_FILE_BYTES = 64 * 1024;

/**
 * Reads a JWT from its file: the read permission is queried first (its flag named), the size is
 * bounded, surrounding whitespace is dropped, and the text must be a compact JWS.
 *
 * @example Usage
 * ```ts
 * import { readJwtFile } from "./jwt_file.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3In0.c2ln\n");
 * assert.equal(readJwtFile(path, "workload token"), "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ3In0.c2ln");
 * await Deno.remove(path);
 * ```
 *
 * @param path The file (`--workload-token-file`, the `id_token` of `--enterprise-idp`).
 * @param label What the file holds, for messages ("workload token", "ID token").
 * @returns The token.
 * @throws {AuthError} When it cannot be read or is not a JWT.
 */
export function readJwtFile(path: string, label: string): string {
  const token = readSmallFile(path, label).trim();
  if (!isCompactJwt(token)) {
    throw new AuthError(
      `Cannot read the ${label} file ${path}: it does not hold a JWT (three base64url parts separated by dots)`,
    );
  }
  return token;
}

/**
 * Whether a text is a compact JWS (three base64url parts separated by dots; the signature may be empty).
 *
 * @example Usage
 * ```ts
 * import { isCompactJwt } from "./jwt_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isCompactJwt("eyJh.eyJz.c2ln"), true);
 * assert.equal(isCompactJwt("not a token"), false);
 * ```
 *
 * @param text The text.
 * @returns Whether it is.
 */
export function isCompactJwt(text: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(text);
}

/**
 * The claims of a JWT, not verified: only to compare `iss` or `aud` before the token is sent anywhere
 * (the receiver verifies it). `{}` when it does not decode.
 *
 * @example Usage
 * ```ts
 * import { unverifiedClaims } from "./jwt_file.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(unverifiedClaims("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lkcCJ9.").iss, "https://idp");
 * assert.deepEqual(unverifiedClaims("garbage"), {});
 * ```
 *
 * @param jwt The compact JWS.
 * @returns The claims.
 */
export function unverifiedClaims(jwt: string): Record<string, unknown> {
  try {
    const part = jwt.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/");
    const claims = JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? claims : {};
  } catch {
    return {};
  }
}

/**
 * Reads a small text file the user named (a key, a token): the read permission is queried first (its
 * flag named), it must be a regular file (a FIFO or device would block or never end), and at most
 * {@linkcode MAX_JWT_FILE_BYTES} long. Symbolic links are followed (Kubernetes mounts tokens that way).
 *
 * @example Usage
 * ```ts
 * import { readSmallFile } from "./jwt_file.ts";
 * import assert from "node:assert/strict";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello");
 * assert.equal(readSmallFile(path, "key"), "hello");
 * await Deno.remove(path);
 * ```
 *
 * @param path The file.
 * @param label What it holds, for messages.
 * @returns The text.
 * @throws {AuthError} When it cannot be read.
 */
export function readSmallFile(path: string, label: string): string {
  const what = `Cannot read the ${label} file ${path}`;
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    throw new AuthError(`${what}: run again with --allow-read=${path}`);
  }
  let bytes: Uint8Array;
  try {
    if (!Deno.statSync(path).isFile) throw new Error("it is not a regular file");
    const file = Deno.openSync(path, { read: true });
    try {
      const size = file.statSync().size;
      if (size > MAX_JWT_FILE_BYTES) {
        throw new Error(`it is larger than ${MAX_JWT_FILE_BYTES} bytes`);
      }
      bytes = new Uint8Array(size);
      let read = 0;
      while (read < size) {
        const n = file.readSync(bytes.subarray(read));
        if (n === null) break;
        read += n;
      }
      bytes = bytes.subarray(0, read);
    } finally {
      file.close();
    }
  } catch (error) {
    throw new AuthError(`${what}: ${(error as Error).message}`);
  }
  return new TextDecoder().decode(bytes);
}
