import assert from "node:assert/strict";
import { escapeHtml, startCallbackServer } from "../../src/auth/callback_server.ts";
import { AuthError } from "../../src/auth/errors.ts";
import { Logger } from "../../src/log/logger.ts";
import { ipv6Available } from "../_fixtures/waiting.ts";

const STATE = "s-0123456789abcdef";
const quiet = () => new Logger({ level: "silent" });

/** Whether the promise is still pending after pending I/O callbacks ran. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  const winner = await Promise.race([
    promise.then(() => "settled", () => "settled"),
    new Promise((resolve) => setTimeout(() => resolve(marker), 20)),
  ]);
  return winner === marker;
}

async function get(url: string, init: RequestInit = {}): Promise<{ response: Response; body: string }> {
  const response = await fetch(url, { redirect: "manual", ...init });
  return { response, body: await response.text() };
}

Deno.test("startCallbackServer() listens before it resolves, on the redirect URI it returns", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/oauth/callback",
    state: STATE,
    log: quiet(),
  });
  try {
    assert.match(server.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/);
    // No wait, no retry: the very first request is answered.
    const { response } = await get(`${server.redirectUri}?state=other`);
    assert.equal(response.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() answers a wrong state with 400 and keeps waiting for the right one", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    log: quiet(),
  });
  try {
    for (
      const query of ["?code=c1&state=stale-tab", "?code=c1", "?code=c1&state=", `?code=c1&state=${STATE}x`]
    ) {
      const { response, body } = await get(server.redirectUri + query);
      assert.equal(response.status, 400, query);
      assert.equal(response.headers.get("cache-control"), "no-store");
      assert.match(body, /another sign-in attempt/);
    }
    // A repeated state (one right, one wrong) is not accepted either.
    const repeated = await get(`${server.redirectUri}?code=c&state=${STATE}&state=x`);
    assert.equal(repeated.response.status, 400);
    assert.equal(await isPending(server.result), true);

    const { response, body } = await get(
      `${server.redirectUri}?code=the-code&state=${STATE}&iss=https%3A%2F%2Fas.example`,
    );
    assert.equal(response.status, 200);
    assert.match(body, /Signed in/);
    const params = await server.result;
    assert.equal(params.get("code"), "the-code");
    assert.equal(params.get("state"), STATE);
    assert.equal(params.get("iss"), "https://as.example");
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() answers with security headers and an HTML page", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    log: quiet(),
  });
  try {
    const { response, body } = await get(`${server.redirectUri}?code=abc&state=${STATE}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.match(response.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    assert.match(body, /^<!doctype html>/);
    assert.doesNotMatch(body, /abc/, "the code is not echoed");
    await server.result;
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() resolves an error response without showing its unchecked text", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    log: quiet(),
  });
  try {
    const evil = `<script>alert("x")</script><img src=x onerror='y'>&amp;`;
    const query = new URLSearchParams({ error: "access_denied<b>", error_description: evil, state: STATE });
    const { response, body } = await get(`${server.redirectUri}?${query}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assert.doesNotMatch(body, /<script>|<img|<b>|access_denied|alert/);
    assert.match(body, /The sign-in did not complete/);
    const params = await server.result;
    assert.equal(params.get("error"), "access_denied<b>");
    assert.equal(params.get("error_description"), evil);
    assert.equal(params.get("code"), null);
  } finally {
    await server.close();
  }
});

Deno.test("escapeHtml() escapes the five HTML-significant characters", () => {
  assert.equal(escapeHtml(`&<>"'x`), "&amp;&lt;&gt;&quot;&#39;x");
});

Deno.test("startCallbackServer() answers 404 on other paths and 405 on other methods, without settling", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/oauth/callback",
    state: STATE,
    log: quiet(),
  });
  try {
    const origin = new URL(server.redirectUri).origin;
    for (const path of ["/", "/oauth/callback/", "/oauth/callbackx", "/OAUTH/CALLBACK", "/favicon.ico"]) {
      const { response } = await get(`${origin}${path}?code=c&state=${STATE}`);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get("cache-control"), "no-store");
    }
    for (const method of ["POST", "PUT", "DELETE", "HEAD"]) {
      const { response } = await get(`${server.redirectUri}?code=c&state=${STATE}`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get("allow"), "GET");
    }
    assert.equal(await isPending(server.result), true);
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() with successUrl answers 303 to it", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    successUrl: "https://example.com/signed-in",
    log: quiet(),
  });
  try {
    const { response } = await get(`${server.redirectUri}?code=c&state=${STATE}`);
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "https://example.com/signed-in");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.equal((await server.result).get("code"), "c");
    // A second callback for the same attempt is not accepted again.
    const again = await get(`${server.redirectUri}?code=d&state=${STATE}`);
    assert.equal(again.response.status, 400);
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() rejects a successUrl that is not http(s)", async () => {
  await assert.rejects(
    startCallbackServer({
      host: "127.0.0.1",
      port: 0,
      path: "/cb",
      state: STATE,
      successUrl: "javascript:alert(1)",
      log: quiet(),
    }),
    (error) => error instanceof AuthError && /success URL/.test(error.message),
  );
});

Deno.test("startCallbackServer() rejects result with an AuthError on abort, and stops listening", async () => {
  const controller = new AbortController();
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    signal: controller.signal,
    log: quiet(),
  });
  controller.abort();
  await assert.rejects(server.result, (error) => {
    assert.ok(error instanceof AuthError);
    assert.match(
      error.message,
      /^Stopped waiting for the sign-in callback on http:\/\/127\.0\.0\.1:\d+\/cb: cancelled$/,
    );
    return true;
  });
  await server.close();
  await assert.rejects(fetch(server.redirectUri), TypeError);
});

Deno.test("startCallbackServer() reports a timeout signal as timed out", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    signal: AbortSignal.timeout(10),
    log: quiet(),
  });
  await assert.rejects(server.result, /timed out$/);
  await server.close();
});

Deno.test("startCallbackServer() with an already aborted signal does not listen", async () => {
  await assert.rejects(
    startCallbackServer({
      host: "127.0.0.1",
      port: 0,
      path: "/cb",
      state: STATE,
      signal: AbortSignal.abort(),
      log: quiet(),
    }),
    AuthError,
  );
});

Deno.test("startCallbackServer() on a busy port rejects with an AuthError naming the port", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = holder.addr.port;
  try {
    await assert.rejects(
      startCallbackServer({ host: "127.0.0.1", port, path: "/cb", state: STATE, log: quiet() }),
      (error) => {
        assert.ok(error instanceof AuthError);
        assert.equal(
          error.message,
          `Callback port ${port} is in use (EADDRINUSE): cannot listen on 127.0.0.1:${port}`,
        );
        assert.ok(error.cause instanceof Deno.errors.AddrInUse);
        return true;
      },
    );
  } finally {
    holder.close();
  }
});

Deno.test({
  name: "startCallbackServer() for localhost rejects a port taken on both 127.0.0.1 and ::1",
  ignore: !ipv6Available(),
  fn: async () => {
    const v4 = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = v4.addr.port;
    let v6: Deno.Listener | undefined;
    try {
      v6 = Deno.listen({ hostname: "::1", port });
    } catch {
      v4.close();
      return; // The port happens to be taken on ::1 by someone else: nothing to prove here.
    }
    try {
      await assert.rejects(
        startCallbackServer({ host: "localhost", port, path: "/cb", state: STATE, log: quiet() }),
        (error) => {
          assert.ok(error instanceof AuthError);
          assert.equal(
            error.message,
            `Callback port ${port} is in use (EADDRINUSE): cannot listen on 127.0.0.1:${port}`,
          );
          assert.ok(error.cause instanceof Deno.errors.AddrInUse);
          return true;
        },
      );
    } finally {
      v4.close();
      v6.close();
    }
  },
});

Deno.test({
  name: "startCallbackServer() for localhost also listens on ::1",
  ignore: !ipv6Available(),
  fn: async () => {
    const server = await startCallbackServer({
      host: "localhost",
      port: 0,
      path: "/cb",
      state: STATE,
      log: quiet(),
    });
    try {
      const port = new URL(server.redirectUri).port;
      assert.equal(server.redirectUri, `http://localhost:${port}/cb`);
      const wrong = await get(`http://127.0.0.1:${port}/cb?state=nope`);
      assert.equal(wrong.response.status, 400);
      const right = await get(`http://[::1]:${port}/cb?code=v6&state=${STATE}`);
      assert.equal(right.response.status, 200);
      assert.equal((await server.result).get("code"), "v6");
    } finally {
      await server.close();
    }
    const port = Number(new URL(server.redirectUri).port);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/cb`), TypeError);
    await assert.rejects(fetch(`http://[::1]:${port}/cb`), TypeError);
  },
});

function recording(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger({ level: "debug", sink: { write: (line) => void lines.push(line) } }), lines };
}

Deno.test({
  name: "startCallbackServer() for localhost names 127.0.0.1 when another program holds the port on ::1",
  ignore: !ipv6Available(),
  fn: async () => {
    const holder = Deno.listen({ hostname: "::1", port: 0 });
    const port = holder.addr.port;
    const { log, lines } = recording();
    try {
      const server = await startCallbackServer({ host: "localhost", port, path: "/cb", state: STATE, log });
      try {
        assert.equal(server.redirectUri, `http://127.0.0.1:${port}/cb`);
        assert.ok(
          lines.some((line) =>
            line.includes(`warning: Another program listens on [::1]:${port}: the sign-in redirect URI names`)
          ),
          lines.join(""),
        );
        const { response } = await get(`${server.redirectUri}?code=v4&state=${STATE}`);
        assert.equal(response.status, 200);
        assert.equal((await server.result).get("code"), "v4");
      } finally {
        await server.close();
      }
    } finally {
      holder.close();
    }
  },
});

Deno.test({
  name: "startCallbackServer() for localhost names [::1] when another program holds the port on 127.0.0.1",
  ignore: !ipv6Available(),
  fn: async () => {
    const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = holder.addr.port;
    const { log, lines } = recording();
    try {
      const server = await startCallbackServer({ host: "localhost", port, path: "/cb", state: STATE, log });
      try {
        assert.equal(server.redirectUri, `http://[::1]:${port}/cb`);
        assert.ok(lines.some((line) => line.includes(`Another program listens on 127.0.0.1:${port}`)));
        const { response } = await get(`${server.redirectUri}?code=v6&state=${STATE}`);
        assert.equal(response.status, 200);
        assert.equal((await server.result).get("code"), "v6");
      } finally {
        await server.close();
      }
    } finally {
      holder.close();
    }
  },
});

Deno.test({
  name: "startCallbackServer() for localhost without --allow-net for ::1 names 127.0.0.1",
  permissions: { net: ["127.0.0.1"] },
  fn: async () => {
    const { log, lines } = recording();
    const server = await startCallbackServer({ host: "localhost", port: 0, path: "/cb", state: STATE, log });
    try {
      assert.match(server.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/cb$/);
      assert.ok(
        lines.some((line) => /Not listening on \[::1\]:\d+ .*the redirect URI names 127\.0\.0\.1/.test(line)),
      );
      assert.ok(!lines.some((line) => line.includes("warning")), "a missing permission is not an attack");
    } finally {
      await server.close();
    }
  },
});

Deno.test("startCallbackServer() for [::1] builds a bracketed redirect URI", {
  ignore: !ipv6Available(),
}, async () => {
  const server = await startCallbackServer({
    host: "[::1]",
    port: 0,
    path: "/cb",
    state: STATE,
    log: quiet(),
  });
  try {
    assert.match(server.redirectUri, /^http:\/\/\[::1\]:\d+\/cb$/);
    const { response } = await get(`${server.redirectUri}?code=c&state=${STATE}`);
    assert.equal(response.status, 200);
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() close() stops listening, rejects a pending result, and is idempotent", async () => {
  const server = await startCallbackServer({
    host: "127.0.0.1",
    port: 0,
    path: "/cb",
    state: STATE,
    log: quiet(),
  });
  const port = Number(new URL(server.redirectUri).port);
  await Promise.all([server.close(), server.close()]);
  await server.close();
  await assert.rejects(
    server.result,
    (error) => error instanceof AuthError && /: closed$/.test(error.message),
  );
  await assert.rejects(fetch(server.redirectUri), TypeError);
  // The port is free again.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("startCallbackServer() rejects invalid options before listening", async () => {
  const base = { host: "127.0.0.1", port: 0, path: "/cb", state: STATE, log: quiet() };
  await assert.rejects(startCallbackServer({ ...base, path: "cb" }), /^AuthError: Invalid callback path/);
  await assert.rejects(
    startCallbackServer({ ...base, path: "/cb?x=1" }),
    /^AuthError: Invalid callback path/,
  );
  await assert.rejects(
    startCallbackServer({ ...base, port: 70000 }),
    /^AuthError: Invalid callback port: 70000$/,
  );
  await assert.rejects(startCallbackServer({ ...base, state: "" }), /^AuthError: Invalid callback state/);
  await assert.rejects(startCallbackServer({ ...base, host: "a b" }), /^AuthError: Invalid callback host/);
});

Deno.test("startCallbackServer() logs no code or state", async () => {
  const lines: string[] = [];
  const log = new Logger({ level: "debug", sink: { write: (line) => void lines.push(line) } });
  const server = await startCallbackServer({ host: "127.0.0.1", port: 0, path: "/cb", state: STATE, log });
  try {
    await get(`${server.redirectUri}?code=secret-code&state=wrong-state`);
    await get(`${server.redirectUri}?code=secret-code&state=${STATE}`);
    await server.result;
  } finally {
    await server.close();
  }
  const text = lines.join("");
  assert.match(text, /Waiting for the sign-in callback on http:\/\/127\.0\.0\.1:\d+\/cb/);
  assert.doesNotMatch(text, /secret-code|wrong-state|s-0123/);
});
