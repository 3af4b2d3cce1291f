/**
 * A headless "browser" for authorization tests, usable as `$BROWSER`:
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/_fixtures/headless_browser.ts <authorization url>
 * ```
 *
 * It GETs the URL and follows redirects by hand with a cookie jar (the authorization server's
 * auto-approving interaction needs its cookies), until the next request would go to the
 * authorization request's `redirect_uri` (the bridge's loopback callback). It delivers that request,
 * and exits 0. Anything else (a page that does not redirect, too many redirects, a network error)
 * exits 1 with the reason on stderr.
 *
 * To simulate a user who never finishes, pass `--no-callback` or set
 * `HEADLESS_BROWSER_NO_CALLBACK=1` (the variable is read only with `--allow-env`): it stops just
 * before the callback request and exits 0.
 *
 * @module
 */

/** How to browse. */
export interface BrowseOptions {
  /** Stop before delivering the request to the redirect URI (default false). */
  noCallback?: boolean;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
  /** The most redirects to follow (default 20). */
  maxRedirects?: number;
}

/** Where browsing ended. */
export interface BrowseResult {
  /** The callback URL (with `code`, `state`, `iss` or `error`), delivered or not. */
  callbackUrl: URL;
  /** Whether the callback request was sent. */
  delivered: boolean;
  /** The callback's response status, when delivered. */
  callbackStatus?: number;
  /** The callback's response body, when delivered. */
  callbackBody?: string;
}

function sameEndpoint(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}

/**
 * Follows an authorization URL to its redirect URI, as a browser would with an auto-approving
 * authorization server.
 *
 * @example Usage
 * ```ts ignore
 * import { browse } from "./headless_browser.ts";
 * const { callbackUrl } = await browse(authorizationUrl);
 * console.log(callbackUrl.searchParams.get("code"));
 * ```
 *
 * @param start The authorization URL (it must carry `redirect_uri`).
 * @param options Whether to deliver the callback, and the fetch to use.
 * @returns The callback URL and what the callback answered.
 */
export async function browse(start: string | URL, options: BrowseOptions = {}): Promise<BrowseResult> {
  const doFetch = options.fetch ?? fetch;
  let url = new URL(start);
  const redirectUri = url.searchParams.get("redirect_uri");
  if (!redirectUri) {
    throw new Error(`The authorization URL has no redirect_uri: ${url.origin}${url.pathname}`);
  }
  const callback = new URL(redirectUri);
  const jar = new Map<string, string>();
  const maxRedirects = options.maxRedirects ?? 20;

  for (let hop = 0; hop <= maxRedirects; hop++) {
    const isCallback = sameEndpoint(url, callback);
    if (isCallback && options.noCallback) return { callbackUrl: url, delivered: false };
    const headers = new Headers({ accept: "text/html,application/json" });
    if (!isCallback && jar.size > 0) {
      headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    }
    const response = await doFetch(url, { headers, redirect: "manual" });
    const body = await response.text();
    if (isCallback) {
      return { callbackUrl: url, delivered: true, callbackStatus: response.status, callbackBody: body };
    }
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age\s*=\s*(0|-)/i.test(a)) ||
        attributes.some((a) => /^\s*expires\s*=/i.test(a) && Date.parse(a.split("=")[1]) < Date.now());
      if (expired || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(
        `The page did not redirect: ${response.status} at ${url.origin}${url.pathname}: ${
          body.slice(0, 300)
        }`,
      );
    }
    url = new URL(location, url);
  }
  throw new Error(`Too many redirects: more than ${maxRedirects}`);
}

function envFlag(name: string): boolean {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return false;
  const value = Deno.env.get(name);
  return value !== undefined && value !== "" && value !== "0";
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--no-callback");
  const noCallback = args.length !== Deno.args.length || envFlag("HEADLESS_BROWSER_NO_CALLBACK");
  if (args.length !== 1) {
    Deno.stderr.writeSync(new TextEncoder().encode("Usage: headless_browser.ts [--no-callback] <url>\n"));
    Deno.exit(2);
  }
  try {
    await browse(args[0], { noCallback });
  } catch (error) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`headless browser: ${error instanceof Error ? error.message : error}\n`),
    );
    Deno.exit(1);
  }
}
