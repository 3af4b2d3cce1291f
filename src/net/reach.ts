/**
 * Whether the server's host can be reached at all: a TCP connection opened and closed at once, with no
 * byte sent. A server that answers nothing while its host accepts connections is busy (a blocking tool on
 * a single-threaded server), not gone; only a path that cannot open a connection is a stall. Through a
 * proxy the direct connection says nothing, so then there is no such check.
 *
 * @module
 */

/**
 * The proxy variables the runtime's HTTP client honours. With `--allow-env` for them (unset), the bridge
 * knows it connects directly, and uses the check.
 */
export const PROXY_VARIABLES: readonly string[] = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "ALL_PROXY",
  "all_proxy",
];

/** Opens a TCP connection to a URL's host and port within `ms`: `true` when it could. */
export type Reach = (url: URL, ms: number) => Promise<boolean>;

/**
 * The reach check when requests go straight to the server: not with `--proxy`, and only when the proxy
 * variables can be read (`--allow-env`) and are unset; `undefined` when it cannot be known.
 *
 * @example Usage
 * ```ts
 * import { directReach } from "./reach.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(directReach(true), undefined);
 * ```
 *
 * @param proxy Whether `--proxy` is set.
 * @returns The check, or `undefined`.
 */
export function directReach(proxy: boolean): Reach | undefined {
  if (proxy) return undefined;
  for (const variable of PROXY_VARIABLES) {
    if (Deno.permissions.querySync({ name: "env", variable }).state !== "granted") return undefined;
    if (Deno.env.get(variable)) return undefined;
  }
  return tcpReach;
}

/**
 * Opens and closes a TCP connection to the URL's host and port.
 *
 * @example Usage
 * ```ts
 * import { tcpReach } from "./reach.ts";
 * import assert from "node:assert/strict";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const url = new URL(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`);
 * assert.equal(await tcpReach(url, 1000), true);
 * listener.close();
 * ```
 *
 * @param url The server URL.
 * @param ms The longest wait.
 * @returns `true` when the connection opened in time.
 */
export async function tcpReach(url: URL, ms: number): Promise<boolean> {
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const attempt = Deno.connect({ hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"), port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), ms)));
  try {
    const result = await Promise.race([attempt, late]);
    if (result === "late") {
      attempt.then((conn) => conn.close(), () => {});
      return false;
    }
    result.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
