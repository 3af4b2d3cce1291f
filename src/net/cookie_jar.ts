/**
 * An in-memory cookie jar for one origin, the MCP server's: load balancers pin a session to a backend with a
 * cookie (`AWSALB`, `route`, …), and a bridge that drops it lands on another backend that does not know the
 * session. Cookies are kept in memory only, never written anywhere, sent back only to the origin that set
 * them (the exchange talks to that one origin alone), and bounded in number and size. `--disable-cookies`
 * turns the jar off.
 *
 * @module
 */

/** The most cookies kept; a new one past it replaces the oldest. */
export const MAX_COOKIES = 50;
/** The longest `name=value` kept (a browser's limit is about 4 KiB). */
export const MAX_COOKIE_CHARS = 4096;

interface Cookie {
  value: string;
  /** When it expires (`Date.now()` clock), if the server said. */
  expires: number | undefined;
}

/**
 * The cookies one origin set.
 *
 * @example Usage
 * ```ts
 * import { CookieJar } from "./cookie_jar.ts";
 * import assert from "node:assert/strict";
 *
 * const jar = new CookieJar();
 * jar.store(["AWSALB=abc; Path=/; Max-Age=600", "route=2"], 0);
 * assert.equal(jar.header(1000), "AWSALB=abc; route=2");
 * jar.store(["route=; Max-Age=0"], 2000);
 * assert.equal(jar.header(3000), "AWSALB=abc");
 * ```
 */
export class CookieJar {
  #cookies = new Map<string, Cookie>();

  /**
   * Takes the `Set-Cookie` values of a response.
   *
   * @param setCookies The header values, one cookie each.
   * @param now The time (ms).
   * @returns The values stored (to register them as secrets).
   */
  store(setCookies: readonly string[], now: number = Date.now()): string[] {
    const stored: string[] = [];
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (!pair || eq <= 0 || pair.length > MAX_COOKIE_CHARS) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\s;,"\\]/.test(value.replace(/^"|"$/g, ""))) {
        continue;
      }
      let expires: number | undefined;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split("=");
        const k = key?.trim().toLowerCase();
        const v = rest.join("=").trim();
        if (k === "max-age" && /^-?\d+$/.test(v)) expires = now + Number(v) * 1000;
        else if (k === "expires" && expires === undefined) {
          const at = Date.parse(v);
          if (!Number.isNaN(at)) expires = at;
        }
      }
      this.#cookies.delete(name);
      if (expires !== undefined && expires <= now) continue;
      this.#cookies.set(name, { value, expires });
      stored.push(value);
      if (this.#cookies.size > MAX_COOKIES) this.#cookies.delete(this.#cookies.keys().next().value!);
    }
    return stored;
  }

  /**
   * The `Cookie` header for the next request, without expired cookies.
   *
   * @param now The time (ms).
   * @returns The header value, or `undefined` when there are none.
   */
  header(now: number = Date.now()): string | undefined {
    if (this.#cookies.size === 0) return undefined;
    const pairs: string[] = [];
    for (const [name, cookie] of this.#cookies) {
      if (cookie.expires !== undefined && cookie.expires <= now) this.#cookies.delete(name);
      else pairs.push(`${name}=${cookie.value}`);
    }
    return pairs.length > 0 ? pairs.join("; ") : undefined;
  }
}
