/**
 * OAuth flags of the bridge, end to end: the real CLI as a subprocess with exact permissions, a real
 * authorization server (oidc-provider) and a protected MCP server. Client credentials (Basic, post,
 * `--token-endpoint`), `--auth-success-url`, `--callback-path` with a positional port,
 * `--authorize-param`, re-registration when the authorization server forgot the client, the sign-in
 * storm brake, `--use-id-token`, `login` with a pasted redirect URL in a terminal, and the device
 * authorization grant.
 */

import assert from "node:assert/strict";
import {
  bridgeArgs,
  connectHost,
  finishRaw,
  HostConnectError,
  initializeLine,
  type Permissions,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "../_fixtures/bridge_host.ts";
import {
  BROWSER,
  freePort,
  type OAuthWorld,
  onlyRecord,
  signInPermissions,
  sleep,
  waitFor,
  withOAuthWorld,
} from "../_fixtures/oauth_cli.ts";
import { approveDevice } from "../_fixtures/device_browser.ts";
import { hasScript, PTY_RUN } from "../_fixtures/pty_run.ts";
import { serveRecording } from "../_fixtures/recording_server.ts";
import { browse } from "../../src/demo/headless_browser.ts";
import { startOAuthServer } from "../../src/demo/oauth_server.ts";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

function decodePart(jwt: string, index: 0 | 1): Record<string, unknown> {
  const part = jwt.split(".")[index]!;
  const base64 = part.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

/** What the authorization server saw beyond its own counters. */
interface AsObservations {
  /** Requests for `/.well-known/oauth-authorization-server` (only a client's discovery asks for it). */
  oauthMetadata: number;
  /** Token requests: the client authentication scheme used and the parameters oidc-provider read. */
  tokenRequests: { scheme: string; params: Record<string, unknown> }[];
}

interface KoaContext {
  path: string;
  headers: Record<string, string | undefined>;
  oidc?: { params?: Record<string, unknown> };
}

// deno-lint-ignore no-explicit-any
function observeAs(world: { as: { provider: any } }): AsObservations {
  const seen: AsObservations = { oauthMetadata: 0, tokenRequests: [] };
  const provider = world.as.provider;
  // Koa composed its middleware when the server started (provider.use() now would not be seen), but
  // it creates each request's context through this method.
  const createContext = provider.createContext.bind(provider);
  provider.createContext = (...args: unknown[]) => {
    const ctx = createContext(...args) as KoaContext;
    if (ctx.path === "/.well-known/oauth-authorization-server") seen.oauthMetadata++;
    return ctx;
  };
  const onToken = (ctx: KoaContext) => {
    const authorization = ctx.headers.authorization;
    seen.tokenRequests.push({
      scheme: authorization ? authorization.split(" ")[0]! : "none",
      params: { ...(ctx.oidc?.params ?? {}) },
    });
  };
  provider.on("grant.success", onToken);
  provider.on("grant.error", onToken);
  return seen;
}

/** A client registered up front for the client credentials grant only. */
function clientCredentialsClient(clientId: string, secret: string, method: string): Record<string, unknown> {
  return {
    client_id: clientId,
    client_secret: secret,
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: method,
  };
}

/** Loopback network and the config dir only: no `--allow-run`, no `--allow-env`. */
function noBrowserPermissions(dir: string): Permissions {
  return { net: ["127.0.0.1"], read: [dir], write: [dir] };
}

for (const method of ["client_secret_basic", "client_secret_post"] as const) {
  Deno.test(`--client-credentials (${method}): tools/list works with client_credentials tokens only, no browser`, async () => {
    const clientId = `cc-${method}`;
    const secret = `cc-secret-${crypto.randomUUID()}`;
    await withOAuthWorld(
      { as: { clients: [clientCredentialsClient(clientId, secret, method)] } },
      async (world) => {
        const seen = observeAs(world);
        const host = await connectHost(world.mcp.url, {
          args: [
            "--config-dir",
            world.dir,
            "--client-credentials",
            "--static-oauth-client-info",
            JSON.stringify({
              client_id: clientId,
              client_secret: secret,
              token_endpoint_auth_method: method,
            }),
          ],
          permissions: noBrowserPermissions(world.dir),
        });
        let stderr = "";
        try {
          const { tools } = await host.client.listTools();
          assert.ok(tools.some((tool) => tool.name === "echo"), JSON.stringify(tools.map((t) => t.name)));
        } finally {
          stderr = host.stderr();
          await host.close();
        }
        const counters = world.as.counters;
        assert.ok(
          (counters.tokenRequests.client_credentials ?? 0) >= 1,
          JSON.stringify(counters.tokenRequests),
        );
        assert.deepEqual(
          Object.keys(counters.tokenRequests),
          ["client_credentials"],
          "no other grant was used",
        );
        assert.deepEqual(counters.tokenErrors, {}, "the secret authenticated the client");
        assert.equal(counters.authorizations, 0, "no authorization request");
        assert.equal(counters.registrations, 0, "no registration");
        assert.equal(world.authorizations.length, 0);
        assert.ok(!/browser|Open this URL/i.test(stderr), stderr);
        assert.ok(!stderr.includes(secret), "the secret reached stderr");
        // The client authenticated the way it was told to.
        const expected = method === "client_secret_basic" ? "Basic" : "none";
        assert.ok(seen.tokenRequests.length >= 1);
        for (const request of seen.tokenRequests) {
          assert.equal(request.scheme, expected, JSON.stringify(seen.tokenRequests));
          assert.equal(request.params.grant_type, "client_credentials");
          assert.equal(request.params.resource, world.mcp.url.href);
        }
        // Discovery happened (the counters below stay 0 with --token-endpoint).
        assert.ok(seen.oauthMetadata >= 1, "the AS metadata was asked for");
        assert.ok(world.mcp.counters.prm >= 1, "the PRM was asked for");
        assert.ok(world.mcp.counters.valid >= 1);

        const { record } = await onlyRecord(world.dir);
        assert.equal(record.client, undefined, "a static client is not stored");
        assert.ok(record.tokens?.access_token, "the token is stored");
        assert.equal(record.tokens?.refresh_token, undefined, "client credentials bring no refresh token");
        assert.equal(decodePart(record.tokens!.access_token, 1).client_id, clientId);
        assert.ok(!(await Deno.readTextFile((await onlyRecord(world.dir)).path)).includes(secret));
      },
    );
  });
}

Deno.test("--client-credentials --token-endpoint: no discovery at all (no PRM, no AS metadata request)", async () => {
  const clientId = "cc-direct";
  const secret = `cc-secret-${crypto.randomUUID()}`;
  await withOAuthWorld(
    { as: { clients: [clientCredentialsClient(clientId, secret, "client_secret_basic")] } },
    async (world) => {
      const seen = observeAs(world);
      const host = await connectHost(world.mcp.url, {
        args: [
          "--config-dir",
          world.dir,
          "--client-credentials",
          "--token-endpoint",
          world.as.endpoints.token,
          "--static-oauth-client-info",
          JSON.stringify({ client_id: clientId, client_secret: secret }),
        ],
        permissions: noBrowserPermissions(world.dir),
      });
      try {
        const echo = await host.client.callTool({ name: "echo", arguments: { text: "direct" } });
        assert.deepEqual(echo.content, [{ type: "text", text: "direct" }]);
      } finally {
        await host.close();
      }
      assert.equal(world.mcp.counters.prm, 0, "the protected resource metadata was never asked for");
      assert.equal(seen.oauthMetadata, 0, "the authorization server metadata was never asked for");
      assert.ok((world.as.counters.tokenRequests.client_credentials ?? 0) >= 1);
      assert.equal(world.as.counters.authorizations, 0);
      assert.equal(world.as.counters.registrations, 0);
      // Without metadata, the secret goes by RFC 8414's default: HTTP Basic. The resource is the
      // server URL itself (no PRM to name it), and no scope is asked for (none is known).
      assert.ok(seen.tokenRequests.length >= 1);
      for (const request of seen.tokenRequests) {
        assert.equal(request.scheme, "Basic");
        assert.equal(request.params.resource, world.mcp.url.href);
        assert.equal(request.params.scope, undefined);
      }
      const { record } = await onlyRecord(world.dir);
      assert.equal(record.issuer, world.as.issuer, "the issuer is the token endpoint's origin");
    },
  );
});

/** Spawns a bridge that prints its sign-in URL (`--no-browser`) and sends the host's `initialize`. */
async function printingBridge(world: OAuthWorld, args: string[]): Promise<RawBridge> {
  const raw = spawnRaw(
    [world.mcp.url.href, "--config-dir", world.dir, "--host", "127.0.0.1", "--no-browser", ...args],
    noBrowserPermissions(world.dir),
  );
  await raw.write(initializeLine(1));
  return raw;
}

const PRINTED_URL = /Open this URL in a browser to sign in: (\S+)/g;

/** Waits for the `n`th printed sign-in URL (1-based). */
async function printedUrl(raw: RawBridge, n: number, timeoutMs = 15_000): Promise<URL> {
  const all = () => [...raw.stderr().matchAll(PRINTED_URL)].map((m) => m[1]!);
  await waitFor(() => all().length >= n, timeoutMs, `sign-in URL #${n} on stderr`).catch((error) => {
    throw new Error(`${error.message}; stderr:\n${raw.stderr()}`);
  });
  return new URL(all()[n - 1]!);
}

/** Reads stdout lines until the response to `id`. */
async function responseTo(raw: RawBridge, id: number, timeoutMs = 15_000): Promise<StdoutMessage> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const message = JSON.parse(await raw.readLine(Math.max(1, deadline - Date.now()))) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

/** Sends `notifications/initialized` and `tools/list`, and returns the tool names. */
async function listTools(raw: RawBridge, id = 2): Promise<string[]> {
  await raw.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  await raw.write(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/list", params: {} }) + "\n");
  const response = await responseTo(raw, id);
  const result = response.result as { tools?: { name: string }[] } | undefined;
  assert.ok(result?.tools, JSON.stringify(response));
  return result.tools.map((tool) => tool.name);
}

Deno.test("--auth-success-url: the callback answers 303 to it, the browser goes no further, and the sign-in completes", async () => {
  await withOAuthWorld({}, async (world) => {
    const raw = await printingBridge(world, ["--auth-success-url", "https://example.com/done"]);
    const responses: Response[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      responses.push(response);
      return response;
    };
    try {
      const url = await printedUrl(raw, 1);
      const browsed = await browse(url, { fetch: recording });
      assert.equal(browsed.delivered, true);
      assert.equal(browsed.callbackStatus, 303, browsed.callbackBody);
      const last = responses[responses.length - 1]!;
      assert.equal(last.headers.get("location"), "https://example.com/done");
      assert.equal(last.headers.get("cache-control"), "no-store");
      // browse() stops at the redirect URI: nothing was requested off this machine.
      assert.equal(new URL(last.url).origin, new URL(url.searchParams.get("redirect_uri")!).origin);
      assert.ok(responses.every((r) => new URL(r.url).hostname === "127.0.0.1"));

      const initialized = await responseTo(raw, 1);
      assert.ok((initialized.result as { serverInfo?: unknown })?.serverInfo, JSON.stringify(initialized));
      assert.ok((await listTools(raw)).includes("echo"));
    } finally {
      await finishRaw(raw);
    }
    assert.equal(world.as.counters.authorizations, 1);
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1);
    assert.ok((await onlyRecord(world.dir)).record.tokens?.access_token);
  });
});

Deno.test("--callback-path /cb2 with a positional callback port: the registered redirect URI is exactly that", async () => {
  await withOAuthWorld({}, async (world) => {
    const port = freePort();
    const expected = `http://127.0.0.1:${port}/cb2`;
    const host = await connectHost(world.mcp.url, {
      // `<server-url> <callback-port> [flags]`: connectHost puts the URL first.
      args: [String(port), "--config-dir", world.dir, "--host", "127.0.0.1", "--callback-path", "/cb2"],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    try {
      await host.client.listTools();
    } finally {
      await host.close();
    }
    const { record } = await onlyRecord(world.dir);
    assert.deepEqual(record.client?.redirect_uris, [expected], "the stored registration");
    assert.equal(world.authorizations.length, 1);
    assert.equal(world.authorizations[0]!.redirectUri, expected, "the authorization request");
    const registered = await world.as.provider.Client.find(record.client!.client_id);
    assert.deepEqual(registered?.redirectUris, [expected], "the registration the AS holds");
    assert.equal(world.as.counters.registrations, 1);
  });
});

Deno.test("--authorize-param prompt=consent --authorize-param ui_locales=fr: both reach the authorization request", async () => {
  await withOAuthWorld({}, async (world) => {
    const host = await connectHost(world.mcp.url, {
      args: [
        "--config-dir",
        world.dir,
        "--host",
        "127.0.0.1",
        "--authorize-param",
        "prompt=consent",
        "--authorize-param",
        "ui_locales=fr",
      ],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    });
    try {
      await host.client.listTools();
    } finally {
      await host.close();
    }
    assert.equal(world.authorizations.length, 1);
    const query = world.authorizations[0]!.query;
    assert.equal(query.prompt, "consent");
    assert.equal(query.ui_locales, "fr");
    // The flow's own parameters are untouched.
    assert.equal(query.response_type, "code");
    assert.equal(query.code_challenge_method, "S256");
    assert.equal(world.as.counters.tokenRequests.authorization_code, 1);
  });
});

/** Follows a printed sign-in URL up to the callback, without delivering it. */
async function codeWithoutDelivery(url: URL): Promise<URL> {
  const browsed = await browse(url, { noCallback: true });
  assert.equal(browsed.delivered, false);
  assert.ok(browsed.callbackUrl.searchParams.get("code"), browsed.callbackUrl.href);
  return browsed.callbackUrl;
}

async function deliver(callbackUrl: URL): Promise<number> {
  const response = await fetch(callbackUrl);
  await response.body?.cancel();
  return response.status;
}

async function forgetClient(world: OAuthWorld, clientId: string): Promise<void> {
  await world.as.provider.Client.adapter.destroy(clientId);
  assert.equal(await world.as.provider.Client.find(clientId), undefined, "the AS forgot the client");
}

Deno.test("invalid_client at the code exchange: the bridge registers again, once, and signs in", async () => {
  await withOAuthWorld({}, async (world) => {
    const raw = await printingBridge(world, ["--debug"]);
    try {
      const first = await printedUrl(raw, 1);
      const firstClient = first.searchParams.get("client_id")!;
      const callback = await codeWithoutDelivery(first);
      await forgetClient(world, firstClient);
      assert.equal(await deliver(callback), 200);

      const second = await printedUrl(raw, 2);
      const secondClient = second.searchParams.get("client_id")!;
      assert.notEqual(secondClient, firstClient, "a new registration");
      const browsed = await browse(second);
      assert.equal(browsed.callbackStatus, 200, browsed.callbackBody);
      const initialized = await responseTo(raw, 1);
      assert.ok(initialized.result, JSON.stringify(initialized));
      assert.ok((await listTools(raw)).includes("echo"));

      const { record } = await onlyRecord(world.dir);
      assert.equal(record.client?.client_id, secondClient, "the new registration is stored");
    } finally {
      await finishRaw(raw);
    }
    const counters = world.as.counters;
    assert.equal(counters.registrations, 2);
    assert.equal(counters.authorizations, 2);
    assert.deepEqual(counters.tokenErrors.authorization_code, { invalid_client: 1 });
    assert.equal(
      raw.stderr().match(/no longer knows this client: registering again/g)?.length,
      1,
      raw.stderr(),
    );
  });
});

Deno.test("invalid_client again after re-registering: no third registration, and the host gets the error", async () => {
  await withOAuthWorld({}, async (world) => {
    const raw = await printingBridge(world, []);
    let initialized: StdoutMessage;
    try {
      for (const n of [1, 2]) {
        const url = await printedUrl(raw, n);
        const callback = await codeWithoutDelivery(url);
        await forgetClient(world, url.searchParams.get("client_id")!);
        await deliver(callback);
      }
      initialized = await responseTo(raw, 1);
    } finally {
      await finishRaw(raw);
    }
    assert.ok(initialized.error, JSON.stringify(initialized));
    assert.match(initialized.error.message, /invalid_client/);
    assert.equal(world.as.counters.registrations, 2, "registered again once, not twice");
    assert.equal(world.as.counters.authorizations, 2);
    assert.deepEqual(world.as.counters.tokenErrors.authorization_code, { invalid_client: 2 });
    assert.equal([...raw.stderr().matchAll(PRINTED_URL)].length, 2, raw.stderr());
  });
});

Deno.test({
  name: "a client the AS forgot while signed out: the next sign-in registers again instead of using it",
  fn: async () => {
    // Access tokens live 3 s, so that the stored one is soon refused by the server.
    await withOAuthWorld({ as: { accessTokenTtl: 3 } }, async (world) => {
      // Sign in once with dynamic registration.
      const host = await connectHost(world.mcp.url, {
        args: ["--config-dir", world.dir, "--host", "127.0.0.1"],
        permissions: signInPermissions(world.dir),
        env: { BROWSER },
      });
      await host.close();
      const { record } = await onlyRecord(world.dir);
      const oldClient = record.client!.client_id;
      assert.ok(record.tokens?.refresh_token);
      // The AS forgets the registration, and the access token expires (the refresh token is kept:
      // refreshing it is what tells the bridge, with invalid_client).
      await forgetClient(world, oldClient);
      await sleep(Math.max(0, record.tokens!.expires_at! - Date.now()) + 1_000);

      const raw = await printingBridge(world, ["--auth-timeout", "10s"]);
      try {
        const url = await printedUrl(raw, 1);
        assert.notEqual(url.searchParams.get("client_id"), oldClient, "the forgotten client was used again");
        const browsed = await browse(url);
        assert.equal(browsed.callbackStatus, 200, browsed.callbackBody);
        const initialized = await responseTo(raw, 1);
        assert.ok(initialized.result, JSON.stringify(initialized));
      } finally {
        await finishRaw(raw);
      }
      assert.equal(world.as.counters.registrations, 2, "registered again, once");
    });
  },
});

Deno.test("storm brake: a server that rejects every fresh token stops after 3 sign-ins within a minute", async () => {
  await withOAuthWorld({}, async (world) => {
    // Tokens for another resource (the server rejects their audience), and no refresh tokens (the
    // registration asks for the authorization_code grant only): every 401 means a new sign-in.
    const other = new URL("/other", world.mcp.url).href;
    const started = Date.now();
    const outcome = await connectHost(world.mcp.url, {
      args: [
        "--config-dir",
        world.dir,
        "--host",
        "127.0.0.1",
        "--resource",
        other,
        "--static-oauth-client-metadata",
        JSON.stringify({ grant_types: ["authorization_code"] }),
      ],
      permissions: signInPermissions(world.dir),
      env: { BROWSER },
    }).then(async (host) => {
      await host.close();
      return undefined;
    }, (error: unknown) => error);
    const elapsed = Date.now() - started;
    assert.ok(outcome instanceof HostConnectError, `the connect failed: ${outcome}`);
    assert.match(outcome.clientError.message, /Stopped after 3 sign-ins within a minute/);
    assert.match(outcome.stderr, /Stopped after 3 sign-ins within a minute/);
    const counters = world.as.counters;
    assert.equal(counters.authorizations, 3, "three sign-ins, no fourth");
    assert.equal(counters.registrations, 1);
    assert.equal(counters.tokenRequests.authorization_code, 3);
    assert.equal(counters.tokenRequests.refresh_token, undefined, "no refresh token to use");
    assert.equal(world.mcp.counters.valid, 0);
    assert.equal(world.mcp.counters.invalid, 3, "each fresh token was rejected once");
    assert.match(world.mcp.counters.lastRejection ?? "", /wrong audience/);
    for (const seen of world.authorizations) assert.equal(seen.resource, other);
    assert.ok(elapsed < 45_000, `bounded: ${elapsed} ms`);
  });
});

Deno.test("--use-id-token sends the OpenID id_token as the bearer; without it the access token is sent", async () => {
  const as = await startOAuthServer();
  const mcp = await serveRecording({
    issuer: as.issuer,
    scopesSupported: ["openid", "mcp:read", "mcp:write"],
  });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "oauth-flags-" }));
  try {
    const run = async (flags: string[]) => {
      const host = await connectHost(mcp.url, {
        args: ["--config-dir", dir, "--host", "127.0.0.1", ...flags],
        permissions: signInPermissions(dir),
        env: { BROWSER },
      });
      const before = mcp.bearers.length;
      try {
        const { tools } = await host.client.listTools();
        assert.ok(tools.some((tool) => tool.name === "echo"));
      } finally {
        await host.close();
      }
      return { sent: mcp.bearers.slice(before), stderr: host.stderr() };
    };

    const withFlag = await run(["--use-id-token"]);
    const { record } = await onlyRecord(dir);
    const idToken = record.tokens?.id_token;
    assert.ok(idToken, "the authorization server issued an id_token (scope openid)");
    assert.ok(withFlag.sent.length >= 1);
    for (const token of withFlag.sent) assert.equal(token, idToken, "the id_token was sent");
    assert.notEqual(String(decodePart(idToken, 0).typ).toLowerCase(), "at+jwt");
    const idClaims = decodePart(idToken, 1);
    assert.equal(idClaims.aud, record.client!.client_id, "an id_token's audience is the client");
    assert.equal(idClaims.iss, as.issuer);
    assert.ok(!withFlag.stderr.includes("issued no id_token"), withFlag.stderr);

    // The same stored tokens, without the flag: the access token (RFC 9068, for the MCP server).
    const authorizations = as.counters.authorizations;
    const without = await run([]);
    assert.equal(as.counters.authorizations, authorizations, "no new sign-in");
    const accessToken = (await onlyRecord(dir)).record.tokens!.access_token;
    for (const token of without.sent) assert.equal(token, accessToken, "the access token was sent");
    assert.equal(String(decodePart(accessToken, 0).typ).toLowerCase(), "at+jwt");
    assert.equal(decodePart(accessToken, 1).aud, mcp.url.href);
    assert.notEqual(accessToken, idToken);
  } finally {
    await mcp.close();
    await as.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "login in a terminal: the redirect URL pasted by the user completes the sign-in",
  ignore: !hasScript(),
  fn: async () => {
    await withOAuthWorld({}, async (world) => {
      const cli = [
        "login",
        world.mcp.url.href,
        "--no-browser",
        "--config-dir",
        world.dir,
        "--host",
        "127.0.0.1",
      ];
      // The test may run only `deno`: a `deno` helper with --allow-run=script runs the login under a
      // pseudo-terminal (util-linux script) and relays our stdin to it.
      const child = new Deno.Command("deno", {
        args: [
          "run",
          "--quiet",
          "--no-prompt",
          "--allow-run=script",
          PTY_RUN,
          Deno.execPath(),
          ...bridgeArgs(cli, noBrowserPermissions(world.dir)),
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      const writer = child.stdin.getWriter();
      let output = "";
      let errors = "";
      const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
        const decoder = new TextDecoder();
        for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
      };
      const done = Promise.all([
        pump(child.stdout, (t) => (output += t)),
        pump(child.stderr, (t) => (errors += t)),
      ]);
      let status: Deno.CommandStatus | undefined;
      try {
        const printed = /Open this URL in a browser to sign in: (\S+)/;
        await waitFor(
          () => printed.test(output),
          20_000,
          `the sign-in URL in the terminal:\n${output}${errors}`,
        );
        await waitFor(() => /paste the address/.test(output), 5_000, `the paste prompt:\n${output}`);
        const url = new URL(printed.exec(output)![1]!);
        // The browser ends on the redirect URI, which this machine cannot reach (SSH): not delivered.
        const callback = await codeWithoutDelivery(url);
        await writer.write(new TextEncoder().encode(`${callback.href}\n`));
        let timer: ReturnType<typeof setTimeout> | undefined;
        status = await Promise.race([
          child.status,
          new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 20_000))),
        ]);
        clearTimeout(timer);
        assert.ok(status, `login did not exit:\n${output}${errors}`);
      } finally {
        await writer.close().catch(() => {});
        if (!status) child.kill("SIGKILL");
        await child.status;
        await done;
      }
      assert.equal(status.code, 0, `login failed:\n${output}${errors}`);
      assert.match(output, new RegExp(`Signed in to ${world.mcp.url.host.replace(".", "\\.")}`));
      const { record } = await onlyRecord(world.dir);
      assert.ok(record.tokens?.access_token, "the record holds tokens");
      assert.equal(world.as.counters.authorizations, 1);
      assert.equal(world.as.counters.tokenRequests.authorization_code, 1);
    });
  },
});

const DEVICE_PROMPT = /visit (\S+) and enter the code (\S+)/;

Deno.test("--device-code: the bridge polls while the user approves the code on the verification page", async () => {
  await withOAuthWorld({}, async (world) => {
    const raw = spawnRaw(
      [world.mcp.url.href, "--config-dir", world.dir, "--device-code"],
      noBrowserPermissions(world.dir),
    );
    try {
      await raw.write(initializeLine(1));
      await waitFor(
        () => DEVICE_PROMPT.test(raw.stderr()),
        15_000,
        `the device code on stderr:\n${raw.stderr()}`,
      );
      const [, verificationUri, userCode] = DEVICE_PROMPT.exec(raw.stderr())!;
      assert.equal(verificationUri, `${world.as.issuer}/device`);
      const page = new URL(verificationUri!);
      page.searchParams.set("user_code", userCode!);
      const approval = await approveDevice(page.href);
      assert.equal(approval.status, 200, approval.body.slice(0, 500));
      assert.match(approval.body, /Sign-in Success/);

      const initialized = await responseTo(raw, 1, 30_000);
      assert.ok(initialized.result, JSON.stringify(initialized));
      assert.ok((await listTools(raw)).includes("echo"));
    } finally {
      await finishRaw(raw);
    }
    const counters = world.as.counters;
    assert.equal(counters.authorizations, 0, "no authorization code flow");
    assert.equal(counters.registrations, 1);
    assert.ok((counters.tokenRequests[DEVICE_GRANT] ?? 0) >= 1, JSON.stringify(counters.tokenRequests));
    const pending = counters.tokenErrors[DEVICE_GRANT]?.authorization_pending ?? 0;
    assert.equal(counters.tokenRequests[DEVICE_GRANT], pending + 1, "pending polls, then one success");
    const { record } = await onlyRecord(world.dir);
    assert.ok(record.tokens?.access_token);
    assert.equal(decodePart(record.tokens!.access_token, 1).aud, world.mcp.url.href);
  });
});

Deno.test("--device-code: stdin EOF while polling stops the bridge within a second", async () => {
  await withOAuthWorld({}, async (world) => {
    const raw = spawnRaw(
      [world.mcp.url.href, "--config-dir", world.dir, "--device-code"],
      noBrowserPermissions(world.dir),
    );
    let exitMs = 0;
    try {
      await raw.write(initializeLine(1));
      await waitFor(
        () => DEVICE_PROMPT.test(raw.stderr()),
        15_000,
        `the device code on stderr:\n${raw.stderr()}`,
      );
    } finally {
      const start = performance.now();
      await raw.closeStdin();
      await raw.status;
      exitMs = performance.now() - start;
      await raw.done;
    }
    assert.ok(exitMs < 1_500, `the bridge exited ${Math.round(exitMs)} ms after stdin EOF`);
    const polls = world.as.counters.tokenRequests[DEVICE_GRANT] ?? 0;
    assert.equal(world.as.counters.tokenErrors[DEVICE_GRANT]?.authorization_pending ?? 0, polls);
    const { record } = await onlyRecord(world.dir).catch(() => ({ record: undefined }));
    assert.equal(record?.tokens, undefined, "no tokens");
  });
});
