/**
 * The credential store key of a server configuration: everything that decides which tokens are
 * valid for it, hashed. Header values enter as written (their `${VAR}` templates), never
 * interpolated, so no secret reaches the key and a rotated secret keeps its tokens.
 *
 * @module
 */

/** What identifies one server configuration in the credential store. */
export interface StoreKeyParts {
  /** The MCP server URL. */
  serverUrl: string;
  /** The `--resource` override: `null` or `""` when disabled, `undefined` when not given. */
  resource?: string | null;
  /** The custom headers, with their templates (never the interpolated values). */
  headers?: { name: string; template: string }[];
  /** The `--authorize-param` pairs. */
  authorizeParams?: [string, string][];
  /** The `--client-metadata-url` (a CIMD client id). */
  clientMetadataUrl?: string;
}

function compare(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/** The server URL as the URL parser writes it (so `HTTPS://H/mcp` and `https://h/mcp` agree). */
function normalUrl(serverUrl: string): string {
  return URL.canParse(serverUrl) ? new URL(serverUrl).href : serverUrl;
}

/**
 * The store key of a server configuration: the first 32 hex characters of the SHA-256 of a
 * canonical JSON of its parts. Header names are lower-cased and the headers sorted, so their order
 * does not matter; authorization parameters are sorted too. Any other change gives another key.
 *
 * @example Usage
 * ```ts
 * import { storeKey } from "./store_key.ts";
 * import assert from "node:assert/strict";
 *
 * const a = await storeKey({
 *   serverUrl: "https://mcp.example/mcp",
 *   headers: [{ name: "X-A", template: "1" }, { name: "x-b", template: "${TOKEN}" }],
 * });
 * const b = await storeKey({
 *   serverUrl: "https://mcp.example/mcp",
 *   headers: [{ name: "x-b", template: "${TOKEN}" }, { name: "x-a", template: "1" }],
 * });
 * assert.equal(a, b);
 * assert.match(a, /^[0-9a-f]{32}$/);
 * assert.notEqual(a, await storeKey({ serverUrl: "https://mcp.example/mcp" }));
 * ```
 *
 * @param parts The configuration.
 * @returns 32 lower-case hex characters.
 */
export async function storeKey(parts: StoreKeyParts): Promise<string> {
  const headers = (parts.headers ?? [])
    .map((h): [string, string] => [h.name.toLowerCase(), h.template])
    .sort(compare);
  const authorizeParams = (parts.authorizeParams ?? [])
    .map(([name, value]): [string, string] => [name, value])
    .sort(compare);
  const canonical = JSON.stringify({
    v: 1,
    serverUrl: normalUrl(parts.serverUrl),
    // undefined (the default resource) and null (none) are different configurations.
    resource: parts.resource === undefined
      ? { default: true }
      : parts.resource === ""
      ? null
      : parts.resource,
    headers,
    authorizeParams,
    clientMetadataUrl: parts.clientMetadataUrl ?? null,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("").slice(
    0,
    32,
  );
}
