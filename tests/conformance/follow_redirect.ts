#!/usr/bin/env -S deno run --quiet --no-prompt --allow-net=localhost,127.0.0.1
/**
 * A headless "browser" for the conformance suite's OAuth scenarios: `follow_redirect.ts <url>`.
 *
 * The suite's mock authorization server answers `GET /authorize` at once with a redirect to the
 * client's `redirect_uri?code=…&state=…`, so "opening a browser" only takes following that
 * redirect: GET the URL with `redirect: "manual"`, then GET each `Location` (at most 5 hops) until
 * a response is not a redirect. Exits 0 when the last response is 2xx, else 1. Writes only to
 * stderr.
 *
 * The bridge is meant to find it through `BROWSER` (the driver sets it to this file's absolute
 * path; the shebang grants network access to `localhost` and `127.0.0.1` only).
 *
 * @module
 */

const MAX_HOPS = 5;

function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`follow_redirect: ${text}\n`));
}

/**
 * Follows redirects from `start` by hand.
 *
 * @param start The URL to open.
 * @returns The process exit code.
 */
export async function followRedirects(start: string): Promise<number> {
  let url: URL;
  try {
    url = new URL(start);
  } catch {
    say(`not a URL: ${start}`);
    return 1;
  }
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { redirect: "manual" });
    } catch (error) {
      say(`GET ${url.origin}${url.pathname} failed: ${(error as Error).message}`);
      return 1;
    }
    await response.body?.cancel();
    const location = response.headers.get("location");
    say(`GET ${url.origin}${url.pathname} -> ${response.status}`);
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url);
      continue;
    }
    return response.ok ? 0 : 1;
  }
  say(`more than ${MAX_HOPS} redirects`);
  return 1;
}

if (import.meta.main) {
  const target = Deno.args[Deno.args.length - 1];
  if (target === undefined) {
    say("usage: follow_redirect.ts <url>");
    Deno.exit(2);
  }
  Deno.exit(await followRedirects(target));
}
