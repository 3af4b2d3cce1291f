import assert from "node:assert/strict";
import { startOAuthServer } from "../../src/demo/oauth_server.ts";
import { serveProtected } from "../../src/demo/protected_server.ts";
import { browse } from "../../src/demo/headless_browser.ts";

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, challenge: base64Url(digest) };
}

/** A loopback callback that records the request URLs it receives. */
function serveCallback(): Promise<{ url: URL; received: URL[]; close(): Promise<void> }> {
  const received: URL[] = [];
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: ({ port }) =>
        resolve({
          url: new URL(`http://127.0.0.1:${port}/callback`),
          received,
          close: () => server.shutdown(),
        }),
    }, (request) => {
      received.push(new URL(request.url));
      return new Response("You can close this window.");
    });
  });
}

function form(values: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(values),
  };
}

async function listTools(mcpUrl: URL, token?: string): Promise<Response> {
  return await fetch(mcpUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
}

async function setup() {
  const as = await startOAuthServer();
  const mcp = await serveProtected({ issuer: as.issuer, mode: "stateless" });
  const callback = await serveCallback();
  return {
    as,
    mcp,
    callback,
    async [Symbol.asyncDispose]() {
      await callback.close();
      await mcp.close();
      await as.close();
    },
  };
}

async function registerNative(registration: string, redirectUri: URL): Promise<{ client_id: string }> {
  const response = await fetch(registration, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      client_name: "fixture test",
      application_type: "native",
      redirect_uris: [redirectUri.href],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    }),
  });
  assert.equal(response.status, 201);
  return await response.json();
}

async function authorize(
  env: Awaited<ReturnType<typeof setup>>,
  clientId: string,
  options: { noCallback?: boolean } = {},
) {
  const { verifier, challenge } = await pkce();
  const state = crypto.randomUUID();
  const url = new URL(env.as.endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: env.callback.url.href,
    scope: "openid offline_access mcp:read mcp:write",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: env.mcp.url.href,
  }).toString();
  return { url, state, verifier, result: await browse(url, options) };
}

Deno.test("oauth fixture: DCR, PKCE code flow, protected MCP call, rotation and revocation", async () => {
  await using env = await setup();
  const { as, mcp, callback } = env;

  // Discovery documents.
  const metadata = await (await fetch(`${as.issuer}/.well-known/oauth-authorization-server`)).json();
  assert.equal(metadata.issuer, as.issuer);
  assert.deepEqual(metadata.code_challenge_methods_supported, ["S256"]);
  assert.equal(metadata.authorization_response_iss_parameter_supported, true);
  assert.equal(metadata.registration_endpoint, as.endpoints.registration);
  const prm = await (await fetch(mcp.prmUrl)).json();
  assert.deepEqual(prm, {
    resource: mcp.url.href,
    authorization_servers: [as.issuer],
    scopes_supported: ["mcp:read", "mcp:write"],
    bearer_methods_supported: ["header"],
  });

  // Without a token: 401 with the PRM pointer.
  const anonymous = await listTools(mcp.url);
  await anonymous.body?.cancel();
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers.get("www-authenticate"), `Bearer resource_metadata="${mcp.prmUrl.href}"`);

  const client = await registerNative(as.endpoints.registration, callback.url);
  assert.equal(as.counters.registrations, 1);

  const { state, verifier, result } = await authorize(env, client.client_id);
  assert.equal(result.delivered, true);
  assert.equal(result.callbackStatus, 200);
  assert.equal(callback.received.length, 1);
  const params = callback.received[0].searchParams;
  assert.equal(params.get("state"), state);
  assert.equal(params.get("iss"), as.issuer);
  const code = params.get("code");
  assert.ok(code, `no code in ${callback.received[0].search}`);
  assert.equal(as.counters.authorizations, 1);

  // PKCE is enforced: a wrong verifier fails.
  const wrong = await fetch(
    as.endpoints.token,
    form({
      grant_type: "authorization_code",
      client_id: client.client_id,
      code,
      redirect_uri: callback.url.href,
      code_verifier: base64Url(crypto.getRandomValues(new Uint8Array(32))),
      resource: mcp.url.href,
    }),
  );
  assert.equal(wrong.status, 400);
  assert.equal((await wrong.json()).error, "invalid_grant");

  // A second authorization gives a fresh code for the real exchange.
  const second = await authorize(env, client.client_id);
  const code2 = second.result.callbackUrl.searchParams.get("code")!;
  const exchanged = await fetch(
    as.endpoints.token,
    form({
      grant_type: "authorization_code",
      client_id: client.client_id,
      code: code2,
      redirect_uri: callback.url.href,
      code_verifier: second.verifier,
      resource: mcp.url.href,
    }),
  );
  const tokens = await exchanged.json();
  assert.equal(exchanged.status, 200, JSON.stringify(tokens));
  assert.equal(tokens.token_type, "Bearer");
  assert.ok(tokens.refresh_token);
  assert.equal(tokens.access_token.split(".").length, 3);
  const claims = JSON.parse(
    atob(tokens.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")),
  );
  assert.equal(claims.aud, mcp.url.href);
  assert.equal(claims.scope, "mcp:read mcp:write");
  assert.ok(verifier !== second.verifier);

  // With the token: 200.
  const listed = await listTools(mcp.url, tokens.access_token);
  assert.equal(listed.status, 200);
  assert.match(await listed.text(), /"echo"/);
  assert.equal(mcp.counters.valid, 1);

  // A tampered token is rejected with invalid_token.
  const tampered = await listTools(mcp.url, tokens.access_token.slice(0, -4) + "AAAA");
  await tampered.body?.cancel();
  assert.equal(tampered.status, 401);
  assert.match(tampered.headers.get("www-authenticate")!, /error="invalid_token"/);
  assert.equal(mcp.counters.invalid, 1);

  // Refresh rotates the refresh token.
  const refreshed = await fetch(
    as.endpoints.token,
    form({
      grant_type: "refresh_token",
      client_id: client.client_id,
      refresh_token: tokens.refresh_token,
      resource: mcp.url.href,
    }),
  );
  const rotated = await refreshed.json();
  assert.equal(refreshed.status, 200, JSON.stringify(rotated));
  assert.ok(rotated.refresh_token && rotated.refresh_token !== tokens.refresh_token);
  const again = await listTools(mcp.url, rotated.access_token);
  await again.body?.cancel();
  assert.equal(again.status, 200);

  // Revoking the new refresh token makes it unusable.
  const revoked = await fetch(
    as.endpoints.revocation,
    form({ token: rotated.refresh_token, token_type_hint: "refresh_token", client_id: client.client_id }),
  );
  await revoked.body?.cancel();
  assert.equal(revoked.status, 200);
  assert.equal(as.counters.revocations, 1);
  for (const refreshToken of [rotated.refresh_token, tokens.refresh_token]) {
    const refused = await fetch(
      as.endpoints.token,
      form({ grant_type: "refresh_token", client_id: client.client_id, refresh_token: refreshToken }),
    );
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).error, "invalid_grant");
  }
  assert.deepEqual(as.counters.refreshFailures, { invalid_grant: 2 });
  assert.deepEqual(as.counters.tokenRequests, { authorization_code: 2, refresh_token: 3 });
});

Deno.test("oauth fixture: the old refresh token is invalid_grant after rotation", async () => {
  await using env = await setup();
  const { as, mcp, callback } = env;
  const client = await registerNative(as.endpoints.registration, callback.url);
  const { verifier, result } = await authorize(env, client.client_id);
  const tokens = await (await fetch(
    as.endpoints.token,
    form({
      grant_type: "authorization_code",
      client_id: client.client_id,
      code: result.callbackUrl.searchParams.get("code")!,
      redirect_uri: callback.url.href,
      code_verifier: verifier,
      resource: mcp.url.href,
    }),
  )).json();
  const refresh = (refreshToken: string) =>
    fetch(
      as.endpoints.token,
      form({
        grant_type: "refresh_token",
        client_id: client.client_id,
        refresh_token: refreshToken,
        resource: mcp.url.href,
      }),
    );
  const first = await refresh(tokens.refresh_token);
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const reused = await refresh(tokens.refresh_token);
  assert.equal(reused.status, 400);
  assert.equal((await reused.json()).error, "invalid_grant");
  assert.deepEqual(as.counters.refreshFailures, { invalid_grant: 1 });
});

Deno.test("oauth fixture: a token for another resource is rejected; scope challenge is 403", async () => {
  const as = await startOAuthServer();
  const mcp = await serveProtected({ issuer: as.issuer, mode: "stateless", requiredScope: "mcp:admin" });
  try {
    const register = await fetch(as.endpoints.registration, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_post",
      }),
    });
    const client = await register.json();
    assert.equal(register.status, 201, JSON.stringify(client));
    const token = async (resource: string) =>
      (await (await fetch(
        as.endpoints.token,
        form({
          grant_type: "client_credentials",
          client_id: client.client_id,
          client_secret: client.client_secret,
          scope: "mcp:read",
          resource,
        }),
      )).json()).access_token as string;

    const elsewhere = await listTools(mcp.url, await token("http://127.0.0.1:1/other"));
    await elsewhere.body?.cancel();
    assert.equal(elsewhere.status, 401);
    assert.match(mcp.counters.lastRejection!, /wrong audience/);

    const forbidden = await listTools(mcp.url, await token(mcp.url.href));
    await forbidden.body?.cancel();
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.headers.get("www-authenticate"),
      `Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${mcp.prmUrl.href}"`,
    );
    assert.deepEqual(as.counters.tokenRequests, { client_credentials: 2 });
  } finally {
    await mcp.close();
    await as.close();
  }
});

Deno.test("oauth fixture: expired access tokens are rejected; no challenge header when configured", async () => {
  const as = await startOAuthServer({ accessTokenTtl: 1 });
  const mcp = await serveProtected({ issuer: as.issuer, mode: "stateless", challenge: false });
  try {
    const client = await (await fetch(as.endpoints.registration, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic",
      }),
    })).json();
    const response = await fetch(as.endpoints.token, {
      ...form({ grant_type: "client_credentials", resource: mcp.url.href }),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`,
      },
    });
    const { access_token, expires_in } = await response.json();
    assert.equal(expires_in, 1);
    const fresh = await listTools(mcp.url, access_token);
    await fresh.body?.cancel();
    assert.equal(fresh.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const stale = await listTools(mcp.url, access_token);
    await stale.body?.cancel();
    assert.equal(stale.status, 401);
    assert.equal(stale.headers.get("www-authenticate"), null);
    assert.equal(mcp.counters.lastRejection, "expired");
  } finally {
    await mcp.close();
    await as.close();
  }
});

Deno.test("oauth fixture: the headless browser runs as a program, with and without the callback", async () => {
  await using env = await setup();
  const { as, callback } = env;
  const client = await registerNative(as.endpoints.registration, callback.url);
  const { challenge } = await pkce();
  const url = new URL(as.endpoints.authorization);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: client.client_id,
    redirect_uri: callback.url.href,
    scope: "mcp:read",
    state: "s1",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: env.mcp.url.href,
  }).toString();
  const run = async (env: Record<string, string>) => {
    const output = await new Deno.Command("deno", {
      args: [
        "run",
        "--quiet",
        "--allow-net=127.0.0.1",
        "--allow-env=HEADLESS_BROWSER_NO_CALLBACK",
        new URL("../../src/demo/headless_browser.ts", import.meta.url).pathname,
        url.href,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
  };
  const stopped = await run({ HEADLESS_BROWSER_NO_CALLBACK: "1" });
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.equal(callback.received.length, 0);
  assert.equal(as.counters.authorizations, 1);
  const finished = await run({});
  assert.equal(finished.code, 0, finished.stderr);
  assert.equal(callback.received.length, 1);
  assert.equal(callback.received[0].searchParams.get("state"), "s1");
  assert.ok(callback.received[0].searchParams.get("code"));
});

Deno.test("oauth fixture: a denying server redirects back with access_denied", async () => {
  const as = await startOAuthServer({ deny: true });
  const callback = await serveCallback();
  try {
    const client = await registerNative(as.endpoints.registration, callback.url);
    const { challenge } = await pkce();
    const url = new URL(as.endpoints.authorization);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: client.client_id,
      redirect_uri: callback.url.href,
      scope: "openid",
      state: "s2",
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();
    const { callbackUrl, delivered } = await browse(url);
    assert.equal(delivered, true);
    assert.equal(callbackUrl.searchParams.get("error"), "access_denied");
    assert.equal(callbackUrl.searchParams.get("iss"), as.issuer);
  } finally {
    await callback.close();
    await as.close();
  }
});
