import assert from "node:assert/strict";
import { AuthError } from "../../src/auth/errors.ts";
import {
  clientCredentialsToken,
  exchangeCode,
  pollDeviceToken,
  refreshTokens,
  registerClient,
  requestDeviceCode,
  revokeToken,
} from "../../src/auth/token_client.ts";
import type { ClientInfo } from "../../src/auth/types.ts";
import { browse } from "../../src/demo/headless_browser.ts";
import { startOAuthServer } from "../../src/demo/oauth_server.ts";
import { serveProtected } from "../../src/demo/protected_server.ts";

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, challenge: base64Url(digest) };
}

/** A fetch that records requests and answers from a script. */
function scripted(...responses: (() => Response)[]) {
  const requests: { url: string; init: RequestInit; body: string }[] = [];
  const fetch = (input: string | URL, init: RequestInit = {}) => {
    requests.push({ url: String(input), init, body: init.body ? String(init.body) : "" });
    const next = responses.shift();
    if (!next) throw new Error("unexpected request");
    return Promise.resolve(next());
  };
  return { fetch, requests };
}

const publicClient: ClientInfo = { client_id: "pub", token_endpoint_auth_method: "none", source: "dcr" };

async function rejects(promise: Promise<unknown>, check: (error: AuthError) => void): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AuthError, `not an AuthError: ${error}`);
    check(error);
    return true;
  });
}

async function withStack<T>(
  fn: (env: {
    as: Awaited<ReturnType<typeof startOAuthServer>>;
    mcp: Awaited<ReturnType<typeof serveProtected>>;
    callback: URL;
  }) => Promise<T>,
  options: Parameters<typeof startOAuthServer>[0] = {},
): Promise<T> {
  const as = await startOAuthServer(options);
  const mcp = await serveProtected({ issuer: as.issuer, mode: "stateless" });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => new Response("ok"));
  try {
    return await fn({ as, mcp, callback: new URL(`http://127.0.0.1:${server.addr.port}/callback`) });
  } finally {
    await server.shutdown();
    await mcp.close();
    await as.close();
  }
}

async function listTools(mcpUrl: URL, token: string): Promise<number> {
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  await response.body?.cancel();
  return response.status;
}

Deno.test("token client: DCR, code exchange, refresh with rotation, revocation against a real AS", async () => {
  await withStack(async ({ as, mcp, callback }) => {
    const client = await registerClient(fetch, as.endpoints.registration, {
      client_name: "mcp-bridge test",
      application_type: "native",
      redirect_uris: [callback.href],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    });
    assert.equal(client.source, "dcr");
    assert.equal(client.token_endpoint_auth_method, "none");
    assert.equal(client.client_secret, undefined);
    assert.deepEqual(client.redirect_uris, [callback.href]);

    const { verifier, challenge } = await pkce();
    const url = new URL(as.endpoints.authorization);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: callback.href,
      scope: "mcp:read mcp:write",
      state: "st",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: mcp.url.href,
    }).toString();
    const { callbackUrl } = await browse(url);
    const code = callbackUrl.searchParams.get("code")!;

    const t0 = 1_700_000_000_000;
    const tokens = await exchangeCode(fetch, {
      tokenEndpoint: as.endpoints.token,
      client,
      code,
      codeVerifier: verifier,
      redirectUri: callback.href,
      resource: mcp.url.href,
      now: () => t0,
    });
    assert.equal(tokens.token_type, "Bearer");
    assert.equal(tokens.obtained_at, t0);
    assert.equal(tokens.expires_at, t0 + 3600 * 1000);
    assert.equal(tokens.scope, "mcp:read mcp:write");
    assert.ok(tokens.refresh_token);
    assert.equal(await listTools(mcp.url, tokens.access_token), 200);

    const next = await refreshTokens(fetch, {
      tokenEndpoint: as.endpoints.token,
      client,
      refreshToken: tokens.refresh_token!,
      resource: mcp.url.href,
    });
    assert.ok(next.refresh_token && next.refresh_token !== tokens.refresh_token);
    assert.equal(await listTools(mcp.url, next.access_token), 200);

    await revokeToken(fetch, {
      revocationEndpoint: as.endpoints.revocation,
      client,
      token: next.refresh_token!,
      tokenTypeHint: "refresh_token",
    });
    assert.equal(as.counters.revocations, 1);

    for (const refreshToken of [next.refresh_token!, tokens.refresh_token!]) {
      await rejects(
        refreshTokens(fetch, { tokenEndpoint: as.endpoints.token, client, refreshToken }),
        (error) => {
          assert.equal(error.oauthError, "invalid_grant");
          assert.match(error.message, new RegExp(`^The token endpoint of 127\\.0\\.0\\.1:\\d+ refused`));
          assert.match(error.message, /invalid_grant/);
          assert.ok(!error.message.includes(refreshToken));
        },
      );
    }
    assert.deepEqual(as.counters.refreshFailures, { invalid_grant: 2 });
    assert.equal(as.counters.registrations, 1);
    // The code is single-use (oidc-provider would also revoke the grant on this replay).
    await rejects(
      exchangeCode(fetch, {
        tokenEndpoint: as.endpoints.token,
        client,
        code,
        codeVerifier: verifier,
        redirectUri: callback.href,
        resource: mcp.url.href,
      }),
      (error) => {
        assert.equal(error.oauthError, "invalid_grant");
        assert.ok(!error.message.includes(code));
      },
    );
  });
});

Deno.test("token client: an expired access token is refreshed into a working one", async () => {
  await withStack(async ({ as, mcp, callback }) => {
    const client = await registerClient(fetch, as.endpoints.registration, {
      application_type: "native",
      redirect_uris: [callback.href],
      token_endpoint_auth_method: "none",
    });
    const { verifier, challenge } = await pkce();
    const url = new URL(as.endpoints.authorization);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: callback.href,
      scope: "mcp:read",
      code_challenge: challenge,
      code_challenge_method: "S256",
      resource: mcp.url.href,
    }).toString();
    const code = (await browse(url)).callbackUrl.searchParams.get("code")!;
    const tokens = await exchangeCode(fetch, {
      tokenEndpoint: as.endpoints.token,
      client,
      code,
      codeVerifier: verifier,
      redirectUri: callback.href,
      resource: mcp.url.href,
    });
    assert.ok(tokens.expires_at! - Date.now() <= 1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(await listTools(mcp.url, tokens.access_token), 401);
    const next = await refreshTokens(fetch, {
      tokenEndpoint: as.endpoints.token,
      client,
      refreshToken: tokens.refresh_token!,
      resource: mcp.url.href,
    });
    assert.equal(await listTools(mcp.url, next.access_token), 200);
    assert.deepEqual(as.counters.tokenRequests, { authorization_code: 1, refresh_token: 1 });
  }, { accessTokenTtl: 1 });
});

Deno.test("token client: confidential clients with client_secret_basic and client_secret_post", async () => {
  await withStack(async ({ as, mcp }) => {
    for (const method of ["client_secret_basic", "client_secret_post"]) {
      const client = await registerClient(fetch, as.endpoints.registration, {
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: method,
      });
      assert.equal(client.token_endpoint_auth_method, method);
      assert.ok(client.client_secret);
      const tokens = await clientCredentialsToken(fetch, {
        tokenEndpoint: as.endpoints.token,
        client,
        scope: "mcp:read",
        resource: mcp.url.href,
      });
      assert.equal(await listTools(mcp.url, tokens.access_token), 200);
      // The wrong secret is invalid_client, and the message does not contain it.
      const wrong = { ...client, client_secret: "not-the-secret" };
      await rejects(
        clientCredentialsToken(fetch, {
          tokenEndpoint: as.endpoints.token,
          client: wrong,
          resource: mcp.url.href,
        }),
        (error) => {
          assert.equal(error.oauthError, "invalid_client");
          assert.ok(!error.message.includes("not-the-secret"));
        },
      );
    }
    assert.deepEqual(as.counters.tokenErrors, { client_credentials: { invalid_client: 2 } });
  });
});

Deno.test("token client: a refused registration surfaces the server's error", async () => {
  await withStack(async ({ as }) => {
    await rejects(
      registerClient(fetch, as.endpoints.registration, {
        application_type: "native",
        redirect_uris: ["http://example.com/callback"],
        token_endpoint_auth_method: "none",
      }),
      (error) => {
        assert.equal(error.oauthError, "invalid_redirect_uri");
        assert.match(error.message, /^The registration endpoint of 127\.0\.0\.1:\d+ refused the request: /);
        assert.match(error.message, /loopback/);
      },
    );
  });
});

Deno.test("token client: device authorization against a real AS: pending, then cancelled", async () => {
  await withStack(async ({ as, mcp }) => {
    const client = await registerClient(fetch, as.endpoints.registration, {
      grant_types: ["urn:ietf:params:oauth:grant-type:device_code"],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: "none",
    });
    const t0 = 1_800_000_000_000;
    const authorization = await requestDeviceCode(fetch, {
      endpoint: as.endpoints.deviceAuthorization,
      client,
      scope: "mcp:read",
      resource: mcp.url.href,
      now: () => t0,
    });
    assert.ok(authorization.user_code);
    assert.equal(authorization.expires_at, t0 + authorization.expires_in * 1000);
    const controller = new AbortController();
    const waits: number[] = [];
    let polls = 0;
    const counting = (input: string | URL, init?: RequestInit) => {
      polls++;
      return fetch(input, init);
    };
    await assert.rejects(
      pollDeviceToken(counting, {
        tokenEndpoint: as.endpoints.token,
        client,
        device: { ...authorization, expires_at: Date.now() + 600_000 },
        resource: mcp.url.href,
        signal: controller.signal,
        sleep: (ms) => {
          waits.push(ms);
          if (waits.length === 3) controller.abort(new Error("user gave up"));
          return Promise.resolve();
        },
      }),
      /user gave up/,
    );
    assert.equal(polls, 2);
    assert.deepEqual(waits, [5000, 5000, 5000]);
    assert.deepEqual(as.counters.tokenErrors, {
      "urn:ietf:params:oauth:grant-type:device_code": { authorization_pending: 2 },
    });
  });
});

Deno.test("token client: device polling honours slow_down, expiry and errors", async () => {
  const json = (status: number, body: unknown) => () => Response.json(body, { status });
  let clock = 0;
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    clock += ms;
    return Promise.resolve();
  };
  const { fetch, requests } = scripted(
    json(400, { error: "authorization_pending" }),
    json(400, { error: "slow_down" }),
    json(400, { error: "authorization_pending" }),
    json(200, { access_token: "at", token_type: "bearer", expires_in: 60, refresh_token: "rt" }),
  );
  const tokens = await pollDeviceToken(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: publicClient,
    device: { device_code: "dc-secret", interval: 2, expires_at: 100_000 },
    sleep,
    now: () => clock,
  });
  // An interval below 5 s is raised to 5 s (RFC 8628 §3.5); slow_down adds 5 s.
  assert.deepEqual(waits, [5000, 5000, 10000, 10000]);
  assert.deepEqual(tokens, {
    access_token: "at",
    token_type: "Bearer",
    refresh_token: "rt",
    obtained_at: 30_000,
    expires_at: 90_000,
  });
  assert.equal(
    requests[0].body,
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=dc-secret&client_id=pub",
  );

  // Expiry: stops before a poll that would start after expires_at.
  clock = 0;
  const pending = scripted(
    ...Array.from({ length: 10 }, () => json(400, { error: "authorization_pending" })),
  );
  await rejects(
    pollDeviceToken(pending.fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      device: { device_code: "dc", interval: 5, expires_at: 12_000 },
      sleep,
      now: () => clock,
    }),
    (error) => {
      assert.equal(error.oauthError, "expired_token");
      assert.match(error.message, /expired/);
    },
  );
  assert.equal(pending.requests.length, 2);

  // access_denied ends it.
  const denied = scripted(json(400, { error: "access_denied", error_description: "The user said no" }));
  await rejects(
    pollDeviceToken(denied.fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      device: { device_code: "dc", interval: 1, expires_at: Infinity },
      sleep: () => Promise.resolve(),
    }),
    (error) => {
      assert.equal(error.oauthError, "access_denied");
      assert.equal(
        error.message,
        "The token endpoint of as.example refused the request: access_denied (The user said no)",
      );
    },
  );

  // The default sleep is cancelled by the signal, with no timer left behind.
  const controller = new AbortController();
  const never = scripted();
  const polling = pollDeviceToken(never.fetch, {
    tokenEndpoint: "https://as.example/token",
    client: publicClient,
    device: { device_code: "dc", interval: 30, expires_at: Infinity },
    signal: controller.signal,
  });
  controller.abort(new Error("stop"));
  await assert.rejects(polling, /stop/);
  assert.equal(never.requests.length, 0);
});

Deno.test("token client: client authentication encodings and request headers", async () => {
  const ok = () => Response.json({ access_token: "at", token_type: "Bearer" });
  const { fetch, requests } = scripted(ok, ok, ok);
  const secretClient = {
    client_id: "id with:colon&é",
    client_secret: "s3cr+t/=%",
    source: "static" as const,
  };
  await clientCredentialsToken(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: { ...secretClient, token_endpoint_auth_method: "client_secret_basic" },
    scope: "a b",
  });
  const basic = new Headers(requests[0].init.headers);
  // RFC 6749 §2.3.1: form-encode each, then Basic.
  const expected = new TextEncoder().encode("id+with%3Acolon%26%C3%A9:s3cr%2Bt%2F%3D%25");
  assert.equal(basic.get("authorization"), `Basic ${btoa(String.fromCharCode(...expected))}`);
  assert.equal(basic.get("content-type"), "application/x-www-form-urlencoded");
  assert.equal(basic.get("accept"), "application/json");
  assert.equal(requests[0].init.redirect, "manual");
  assert.equal(requests[0].init.method, "POST");
  assert.equal(requests[0].body, "grant_type=client_credentials&scope=a+b");

  await clientCredentialsToken(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: { ...secretClient, token_endpoint_auth_method: "client_secret_post" },
  });
  assert.equal(new Headers(requests[1].init.headers).get("authorization"), null);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(requests[1].body)), {
    grant_type: "client_credentials",
    client_id: "id with:colon&é",
    client_secret: "s3cr+t/=%",
  });

  // A client with a secret and no method defaults to client_secret_basic.
  await clientCredentialsToken(fetch, { tokenEndpoint: "https://as.example/token", client: secretClient });
  assert.match(new Headers(requests[2].init.headers).get("authorization")!, /^Basic /);

  await rejects(
    clientCredentialsToken(fetch, {
      tokenEndpoint: "https://as.example/token",
      client: { client_id: "x", token_endpoint_auth_method: "client_secret_basic", source: "static" },
    }),
    (error) => assert.match(error.message, /needs a client secret/),
  );
  await rejects(
    clientCredentialsToken(fetch, {
      tokenEndpoint: "https://as.example/token",
      client: { client_id: "x", token_endpoint_auth_method: "tls_client_auth", source: "static" },
    }),
    (error) => assert.match(error.message, /unsupported token_endpoint_auth_method "tls_client_auth"/),
  );
  // private_key_jwt without its key: named, nothing sent.
  await rejects(
    clientCredentialsToken(fetch, {
      tokenEndpoint: "https://as.example/token",
      client: { client_id: "x", token_endpoint_auth_method: "private_key_jwt", source: "static" },
    }),
    (error) => assert.match(error.message, /private_key_jwt needs a private key/),
  );
});

Deno.test("token client: refuses http off loopback, redirects and bad answers", async () => {
  const never = scripted();
  const refused: [string, RegExp][] = [
    [
      "http://as.example/token",
      /^Refusing the token endpoint "http:\/\/as\.example\/token": it must be https/,
    ],
    ["ftp://127.0.0.1/token", /^Refusing the token endpoint/],
    [
      "https://u:p@as.example/token",
      /^Refusing the token endpoint "https:\/\/as\.example\/token": it carries credentials$/,
    ],
    ["/token", /^Refusing the token endpoint "\/token": it is not an absolute URL$/],
  ];
  for (const [endpoint, message] of refused) {
    await rejects(
      refreshTokens(never.fetch, { tokenEndpoint: endpoint, client: publicClient, refreshToken: "rt" }),
      (error) => assert.match(error.message, message),
    );
  }
  await rejects(
    registerClient(never.fetch, "http://as.example/reg", {}),
    (error) =>
      assert.equal(
        error.message,
        'Refusing the registration endpoint "http://as.example/reg": it must be https (plain http only on loopback, or with --allow-http)',
      ),
  );
  assert.equal(never.requests.length, 0);

  // Loopback http, and any http with allowHttp, are allowed.
  const ok = () => Response.json({ access_token: "at", token_type: "Bearer" });
  const allowed = scripted(ok, ok, ok, ok);
  for (const endpoint of ["http://127.0.0.2:9/t", "http://[::1]:9/t", "http://localhost:9/t"]) {
    await refreshTokens(allowed.fetch, { tokenEndpoint: endpoint, client: publicClient, refreshToken: "rt" });
  }
  await refreshTokens(allowed.fetch, {
    tokenEndpoint: "http://as.example/t",
    client: publicClient,
    refreshToken: "rt",
    allowHttp: true,
  });

  // A redirect is an error, never followed.
  const redirect = scripted(() =>
    new Response(null, { status: 307, headers: { location: "https://evil.example/token" } })
  );
  await rejects(
    refreshTokens(redirect.fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      refreshToken: "rt",
    }),
    (error) =>
      assert.match(error.message, /^The token endpoint of as\.example answered with a redirect \(307\)/),
  );
  assert.equal(redirect.requests.length, 1);

  // Not JSON, no access_token, a non-Bearer type, an error echoing the secret.
  const bad = scripted(
    () => new Response("<html>oops</html>", { status: 502, statusText: "Bad Gateway" }),
    () => Response.json({ token_type: "Bearer" }),
    () => Response.json({ access_token: "at", token_type: "DPoP" }),
    () =>
      Response.json({ error: "invalid_grant", error_description: "refresh token rt-secret-1 is gone" }, {
        status: 400,
      }),
    () => new Response("{}", { status: 200 }),
  );
  const refresh = () =>
    refreshTokens(bad.fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      refreshToken: "rt-secret-1",
    });
  await rejects(
    refresh(),
    (e) =>
      assert.equal(e.message, "The token endpoint of as.example refused the request: HTTP 502 Bad Gateway"),
  );
  await rejects(
    refresh(),
    (e) => assert.equal(e.message, "The token endpoint of as.example sent no access_token"),
  );
  await rejects(refresh(), (e) => assert.match(e.message, /unsupported token type: DPoP/));
  await rejects(refresh(), (e) => {
    assert.equal(e.oauthError, "invalid_grant");
    assert.equal(
      e.message,
      "The token endpoint of as.example refused the request: invalid_grant (refresh token [redacted] is gone)",
    );
  });
  await rejects(
    registerClient(bad.fetch, "https://as.example/reg", {}),
    (e) => assert.equal(e.message, "The registration endpoint of as.example sent no client_id"),
  );

  // A network failure names the host.
  await rejects(
    revokeToken(() => Promise.reject(new TypeError("connection refused")), {
      revocationEndpoint: "https://as.example/revoke",
      client: publicClient,
      token: "t",
    }),
    (e) => assert.equal(e.message, "Cannot reach the revocation endpoint of as.example: connection refused"),
  );
});

Deno.test("token client: refresh keeps the old refresh token when none is returned; expires_at from now", async () => {
  const { fetch, requests } = scripted(
    () => Response.json({ access_token: "at2", token_type: "Bearer", expires_in: "120", scope: "mcp:read" }),
    () => Response.json({ access_token: "at3", token_type: "Bearer", refresh_token: "rt3" }),
  );
  const kept = await refreshTokens(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: publicClient,
    refreshToken: "rt1",
    scope: "mcp:read",
    resource: "https://mcp.example/mcp",
    now: () => 1000,
  });
  assert.deepEqual(kept, {
    access_token: "at2",
    token_type: "Bearer",
    refresh_token: "rt1",
    scope: "mcp:read",
    obtained_at: 1000,
    expires_at: 121_000,
  });
  assert.deepEqual(Object.fromEntries(new URLSearchParams(requests[0].body)), {
    grant_type: "refresh_token",
    refresh_token: "rt1",
    scope: "mcp:read",
    resource: "https://mcp.example/mcp",
    client_id: "pub",
  });
  const replaced = await refreshTokens(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: publicClient,
    refreshToken: "rt1",
    now: () => 5,
  });
  assert.equal(replaced.refresh_token, "rt3");
  assert.equal(replaced.expires_at, undefined);
});

Deno.test("token client: a server-supplied endpoint must pass the address rule, before any request", async () => {
  const never = scripted();
  const loopbackServer = new URL("http://127.0.0.1:8080/mcp");
  const refused: [string, RegExp][] = [
    [
      "http://169.254.169.254/latest/meta-data",
      /link-local or cloud metadata address \(169\.254\.169\.254\)/,
    ],
    ["http://[fe80::1]/token", /link-local or cloud metadata address \(\[fe80::1\]\)/],
    ["https://metadata.google.internal/token", /link-local or cloud metadata address/],
    ["http://10.0.0.1/token", /private address \(10\.0\.0\.1\) and the MCP server is not on one/],
    ["file:///etc/passwd", /the scheme "file:" is not https/],
    ["http://user:pw@127.0.0.1:9/token", /it carries credentials/],
  ];
  for (const [endpoint, reason] of refused) {
    await rejects(
      refreshTokens(never.fetch, {
        tokenEndpoint: endpoint,
        client: publicClient,
        refreshToken: "rt",
        serverUrl: loopbackServer,
        // --allow-http relaxes the scheme, never the address rule.
        allowHttp: true,
      }),
      (error) => {
        assert.match(error.message, /^Refusing the token endpoint "/);
        assert.match(error.message, reason);
        assert.doesNotMatch(error.message, /pw/, "the password is not shown");
      },
    );
  }
  assert.equal(never.requests.length, 0, "nothing was sent");
  // The user's own --token-endpoint (no serverUrl) keeps its rule: a private address is the user's choice.
  const ok = () => Response.json({ access_token: "at", token_type: "Bearer" });
  const allowed = scripted(ok);
  await refreshTokens(allowed.fetch, {
    tokenEndpoint: "http://10.0.0.1/token",
    client: publicClient,
    refreshToken: "rt",
    allowHttp: true,
  });
  assert.equal(allowed.requests.length, 1);
});

Deno.test("token client: every secret in an answer is reported to onSecret as soon as it is parsed", async () => {
  const seen: string[] = [];
  const onSecret = (secret: string) => seen.push(secret);
  const { fetch } = scripted(
    () =>
      Response.json({
        client_id: "cid",
        client_secret: "reg-secret-1",
        registration_access_token: "reg-access-1",
      }, { status: 201 }),
    () =>
      Response.json({ access_token: "at-1", refresh_token: "rt-1", id_token: "idt-1", token_type: "Bearer" }),
    () =>
      Response.json({
        device_code: "dc-1",
        user_code: "ABCD-EFGH",
        verification_uri: "https://as.example/device",
        expires_in: 600,
      }),
    // A token response the bridge refuses still has its tokens registered first.
    () => Response.json({ access_token: "at-dpop", token_type: "DPoP" }),
  );
  await registerClient(fetch, "https://as.example/reg", {}, { onSecret });
  await exchangeCode(fetch, {
    tokenEndpoint: "https://as.example/token",
    client: publicClient,
    code: "c",
    codeVerifier: "v",
    redirectUri: "http://127.0.0.1:1/cb",
    onSecret,
  });
  const device = await requestDeviceCode(fetch, {
    endpoint: "https://as.example/device/auth",
    client: publicClient,
    onSecret,
  });
  assert.equal(device.user_code, "ABCD-EFGH");
  await rejects(
    refreshTokens(fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      refreshToken: "r",
      onSecret,
    }),
    (error) => assert.match(error.message, /unsupported token type/),
  );
  assert.deepEqual(seen, ["reg-secret-1", "reg-access-1", "at-1", "rt-1", "idt-1", "dc-1", "at-dpop"]);
});

Deno.test("token client: device polling sends resource on every poll and stops at the deadline", async () => {
  const json = (status: number, body: unknown) => () => Response.json(body, { status });
  let clock = 0;
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    clock += ms;
    return Promise.resolve();
  };
  const { fetch, requests } = scripted(
    ...Array.from({ length: 10 }, () => json(400, { error: "authorization_pending" })),
  );
  await rejects(
    pollDeviceToken(fetch, {
      tokenEndpoint: "https://as.example/token",
      client: publicClient,
      // The server asked for no wait at all and gave the codes a long life.
      device: { device_code: "dc", interval: 0, expires_at: 600_000 },
      resource: "https://mcp.example/mcp",
      deadline: 16_000,
      sleep,
      now: () => clock,
    }),
    (error) => assert.match(error.message, /^Nobody approved the device sign-in at as\.example in time/),
  );
  assert.deepEqual(waits, [5000, 5000, 5000]);
  assert.equal(requests.length, 3);
  for (const request of requests) {
    assert.equal(new URLSearchParams(request.body).get("resource"), "https://mcp.example/mcp");
  }
});

Deno.test("token client: a device authorization interval below 5 s is raised to 5 s", async () => {
  for (const interval of [0, 1, "2", -1, "x", undefined]) {
    const { fetch } = scripted(() =>
      Response.json({
        device_code: "dc",
        user_code: "U",
        verification_uri: "https://as.example/device",
        expires_in: 60,
        ...(interval === undefined ? {} : { interval }),
      })
    );
    const device = await requestDeviceCode(fetch, {
      endpoint: "https://as.example/device/auth",
      client: publicClient,
    });
    assert.equal(device.interval, 5, String(interval));
  }
});

Deno.test("exchangeToken (RFC 8693): sends the subject token with its type, audience and resource; takes only the requested type", async () => {
  const jag = "eyJ0eXAiOiJvYXV0aC1pZC1qYWcrand0In0.eyJzdWIiOiJ1In0.c2ln";
  const ok = scripted(() =>
    Response.json({
      access_token: jag,
      issued_token_type: "urn:ietf:params:oauth:token-type:id-jag",
      token_type: "N_A",
    })
  );
  const secrets: string[] = [];
  const { exchangeToken } = await import("../../src/auth/token_client.ts");
  const options = {
    tokenEndpoint: "https://idp.example.com/token",
    client: { client_id: "bridge", token_endpoint_auth_method: "none", source: "static" } as ClientInfo,
    subjectToken: "id.token.value",
    subjectTokenType: "urn:ietf:params:oauth:token-type:id_token",
    requestedTokenType: "urn:ietf:params:oauth:token-type:id-jag",
    audience: "https://as.example.com",
    resource: "https://mcp.example.com/mcp",
    onSecret: (s: string) => secrets.push(s),
  };
  assert.equal(await exchangeToken(ok.fetch, options), jag);
  const sent = new URLSearchParams(ok.requests[0]!.body);
  assert.equal(sent.get("grant_type"), "urn:ietf:params:oauth:grant-type:token-exchange");
  assert.equal(sent.get("subject_token"), "id.token.value");
  assert.equal(sent.get("subject_token_type"), "urn:ietf:params:oauth:token-type:id_token");
  assert.equal(sent.get("requested_token_type"), "urn:ietf:params:oauth:token-type:id-jag");
  assert.equal(sent.get("audience"), "https://as.example.com");
  assert.equal(sent.get("resource"), "https://mcp.example.com/mcp");
  assert.equal(sent.get("client_id"), "bridge");
  assert.ok(secrets.includes(jag), "the issued token is a secret the moment it is parsed");
  // A hostile IdP answers with an ordinary access token: not taken for an ID-JAG.
  const wrong = scripted(() =>
    Response.json({
      access_token: "at",
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      token_type: "Bearer",
    })
  );
  await assert.rejects(
    exchangeToken(wrong.fetch, options),
    /issued urn:ietf:params:oauth:token-type:access_token, not the urn:ietf:params:oauth:token-type:id-jag asked for/,
  );
});

Deno.test("jwtBearerToken (RFC 7523 §2.1): the assertion as the grant, the client authenticated as configured", async () => {
  const { jwtBearerToken } = await import("../../src/auth/token_client.ts");
  const ok = scripted(() => Response.json({ access_token: "at-1", token_type: "Bearer", expires_in: 60 }));
  const tokens = await jwtBearerToken(ok.fetch, {
    tokenEndpoint: "https://as.example.com/token",
    client: {
      client_id: "app",
      client_secret: "s",
      token_endpoint_auth_method: "client_secret_basic",
      source: "static",
    },
    assertion: "a.b.c",
    scope: "mcp:read",
  });
  assert.equal(tokens.access_token, "at-1");
  const sent = new URLSearchParams(ok.requests[0]!.body);
  assert.equal(sent.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
  assert.equal(sent.get("assertion"), "a.b.c");
  assert.equal(sent.get("scope"), "mcp:read");
  assert.ok(new Headers(ok.requests[0]!.init.headers).get("authorization")?.startsWith("Basic "));
  // The refusal is the server's, reported as it is.
  const refused = scripted(() =>
    Response.json({ error: "invalid_grant", error_description: "expired" }, { status: 400 })
  );
  await assert.rejects(
    jwtBearerToken(refused.fetch, {
      tokenEndpoint: "https://as.example.com/token",
      client: { client_id: "w", token_endpoint_auth_method: "none", source: "static" },
      assertion: "a.b.c",
    }),
    (error: AuthError) =>
      error.oauthError === "invalid_grant" &&
      /refused the request: invalid_grant \(expired\)/.test(error.message),
  );
  assert.equal(refused.requests.length, 1, "no retry");
});
