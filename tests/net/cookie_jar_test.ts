import assert from "node:assert/strict";
import { CookieJar, MAX_COOKIE_CHARS, MAX_COOKIES } from "../../src/net/cookie_jar.ts";
import { connectHost, type HostConnectError, netFor } from "../_fixtures/bridge_host.ts";
import { serveTestServer } from "../_fixtures/test_server.ts";

Deno.test("CookieJar keeps name=value pairs, replaces and expires them, and refuses malformed ones", () => {
  const jar = new CookieJar();
  assert.equal(jar.header(0), undefined);
  assert.deepEqual(
    jar.store(["a=1; Path=/; HttpOnly", "b=2; Max-Age=10", "c=3; Expires=Thu, 01 Jan 1970 00:00:01 GMT"], 0),
    [
      "1",
      "2",
      "3",
    ],
  );
  assert.equal(jar.header(500), "a=1; b=2; c=3");
  assert.equal(jar.header(5000), "a=1; b=2", "c expired at 1 s");
  assert.equal(jar.header(20_000), "a=1", "b lived 10 s");
  jar.store(["a=changed"], 0);
  assert.equal(jar.header(0), "a=changed");
  jar.store(["a=gone; Max-Age=0"], 0);
  assert.equal(jar.header(0), undefined);
  assert.deepEqual(
    jar.store(
      ["=nameless", "no-equals", "bad name=1", "x=has space", `y=${"v".repeat(MAX_COOKIE_CHARS)}`],
      0,
    ),
    [],
  );
});

Deno.test("CookieJar keeps at most MAX_COOKIES, dropping the oldest", () => {
  const jar = new CookieJar();
  jar.store(Array.from({ length: MAX_COOKIES + 5 }, (_, i) => `k${i}=v${i}`), 0);
  const pairs = jar.header(0)!.split("; ");
  assert.equal(pairs.length, MAX_COOKIES);
  assert.equal(pairs[0], "k5=v5");
});

/**
 * A hand-written sticky load balancer in front of the test server: the first answer pins the client with a
 * cookie, and a request without it after that lands on "another backend" that knows no session (404).
 */
async function withStickyBalancer(
  fn: (url: URL, seenCookies: (string | null)[]) => Promise<void>,
): Promise<void> {
  const backend = await serveTestServer({ mode: "stateful" });
  const seen: (string | null)[] = [];
  let pinned = false;
  const balancer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const cookie = request.headers.get("cookie");
    seen.push(cookie);
    if (pinned && !cookie?.includes("lb=backend-1")) {
      return new Response("Session not found", { status: 404 });
    }
    const upstream = new URL(request.url);
    upstream.port = backend.url.port;
    const res = await fetch(upstream, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    const headers = new Headers(res.headers);
    if (!pinned) {
      pinned = true;
      headers.append("set-cookie", "lb=backend-1; Path=/; HttpOnly; Max-Age=3600");
    }
    return new Response(res.body, { status: res.status, headers });
  });
  const url = new URL(`http://127.0.0.1:${balancer.addr.port}/mcp`);
  try {
    await fn(url, seen);
  } finally {
    await balancer.shutdown();
    await backend.close();
  }
}

Deno.test("a load balancer's sticky cookie is kept and sent back; --disable-cookies drops it", async () => {
  await withStickyBalancer(async (url, seen) => {
    const host = await connectHost(url, { permissions: { net: [netFor(url)] } });
    try {
      const echo = await host.client.callTool({ name: "echo", arguments: { text: "pinned" } });
      assert.deepEqual(echo.content, [{ type: "text", text: "pinned" }]);
      assert.equal(seen[0], null, "no cookie before the balancer set one");
      assert.ok(seen.slice(1).every((cookie) => cookie === "lb=backend-1"), JSON.stringify(seen));
    } finally {
      await host.close();
    }
  });
  await withStickyBalancer(async (url) => {
    const refused = await connectHost(url, {
      args: ["--disable-cookies"],
      permissions: { net: [netFor(url)] },
    })
      .then(async (host) => {
        try {
          await host.client.callTool({ name: "echo", arguments: { text: "lost" } });
          return undefined;
        } catch (error) {
          return error as Error;
        } finally {
          await host.close();
        }
      }, (error) => error as HostConnectError);
    assert.ok(refused, "without the cookie the balancer's other backend answered");
  });
});
