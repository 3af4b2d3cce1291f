/**
 * Rule 1: credentials never leave their issuer. A token, refresh token, client secret or
 * registration obtained from authorization server A is sent only to A's own endpoints.
 *
 * The attacks, against the real CLI: an MCP server protected by a real authorization server A
 * (oidc-provider) whose resource metadata switches to a hostile, recording authorization server B
 * after a first sign-in (on the bridge's refresh, on `logout`, with a static client secret), and a
 * 2025-03-26-style server whose fallback metadata names B as issuer. Every request B receives is
 * recorded and searched for A's credentials.
 */

import assert from "node:assert/strict";
import {
  connectHost,
  finishRaw,
  INITIALIZED_LINE,
  initializeLine,
  type RawBridge,
  spawnRaw,
  type StdoutMessage,
} from "../_fixtures/bridge_host.ts";
import {
  BROWSER,
  freePort,
  onlyRecord,
  runCli,
  signInPermissions,
  sleep,
  storedRecords,
} from "../_fixtures/oauth_cli.ts";
import {
  everythingSent,
  type IssuerSwitchServer,
  type RecordingAs,
  serveFallbackIssuerMismatch,
  serveIssuerSwitch,
  startRecordingAs,
} from "../_fixtures/hostile_issuer_switch.ts";
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "../../src/demo/oauth_server.ts";

interface SwitchWorld {
  a: OAuthServer;
  b: RecordingAs;
  mcp: IssuerSwitchServer;
  dir: string;
}

async function withSwitchWorld(options: OAuthServerOptions, fn: (world: SwitchWorld) => Promise<void>) {
  const a = await startOAuthServer(options);
  const b = await startRecordingAs();
  let mcp: IssuerSwitchServer | undefined;
  let dir: string | undefined;
  try {
    mcp = await serveIssuerSwitch(a.issuer, b);
    await Deno.mkdir(".tmp", { recursive: true });
    dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-issuer-" }));
    await fn({ a, b, mcp, dir });
  } finally {
    await mcp?.close();
    await b.close();
    await a.close();
    if (dir) await Deno.remove(dir, { recursive: true });
  }
}

function cli(dir: string, extra: string[] = []): string[] {
  return ["--config-dir", dir, "--host", "127.0.0.1", "--debug", ...extra];
}

async function responseTo(raw: RawBridge, id: number, timeoutMs: number): Promise<StdoutMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = JSON.parse(await raw.readLine(Math.max(1, deadline - Date.now()))) as StdoutMessage;
    if (message.id === id && ("result" in message || "error" in message)) return message;
  }
}

async function request(
  raw: RawBridge,
  id: number,
  method: string,
  params: Record<string, unknown>,
): Promise<StdoutMessage> {
  await raw.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
  return await responseTo(raw, id, 30_000);
}

/** Fails when any request B received carries one of the secrets. */
function assertNothingReached(b: RecordingAs, secrets: Record<string, string>): void {
  for (const received of b.requests) {
    const text = everythingSent(received);
    for (const [name, secret] of Object.entries(secrets)) {
      assert.ok(
        !text.includes(secret),
        `authorization server B received A's ${name} in ${received.method} ${received.target}`,
      );
    }
  }
}

/** The number of stdout responses with this id. */
function responsesWithId(raw: RawBridge, id: number): number {
  return raw.stdout().split("\n").filter((line) => {
    if (line === "") return false;
    const message = JSON.parse(line) as StdoutMessage;
    return message.id === id && ("result" in message || "error" in message);
  }).length;
}

for (const variant of ["a dynamically registered client", "a public static client"] as const) {
  Deno.test(`issuer binding (${variant}): after the server moves to another AS, A's refresh token, registration and access token never reach it; the bridge signs in there`, async () => {
    const port = freePort();
    const staticClient = variant === "a public static client";
    await withSwitchWorld({
      accessTokenTtl: 2,
      clients: staticClient
        ? [{
          client_id: "static-public",
          application_type: "native",
          redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
          grant_types: ["authorization_code", "refresh_token"],
          response_types: ["code"],
          token_endpoint_auth_method: "none",
        }]
        : [],
    }, async ({ a, b, mcp, dir }) => {
      const args = cli(
        dir,
        staticClient
          ? ["--callback-port", String(port), "--static-oauth-client-info", '{"client_id":"static-public"}']
          : [],
      );
      const first = await connectHost(mcp.url, {
        args,
        permissions: signInPermissions(dir),
        env: { BROWSER },
      });
      try {
        await first.client.listTools();
      } finally {
        await first.close();
      }
      const { record: fromA } = await onlyRecord(dir);
      assert.equal(fromA.issuer, a.issuer);
      const secretsOfA: Record<string, string> = {
        "access token": fromA.tokens!.access_token,
        "refresh token": fromA.tokens!.refresh_token!,
      };
      if (!staticClient) secretsOfA["registration (client id)"] = fromA.client!.client_id;
      assert.equal(b.requests.length, 0);

      // The attack: the server now names B, and A's access token has expired, so the next bridge
      // wants to refresh it with the metadata the server points at.
      mcp.switchTo(b.issuer);
      await sleep(2_500);
      const raw = spawnRaw([mcp.url.href, ...args], signInPermissions(dir), { BROWSER });
      try {
        await raw.write(initializeLine(1));
        const initialized = await responseTo(raw, 1, 30_000);
        assert.ok(initialized.result, `initialize: ${JSON.stringify(initialized)}\n${raw.stderr()}`);
        await raw.write(INITIALIZED_LINE);
        const echo = await request(raw, 2, "tools/call", { name: "echo", arguments: { text: "via B" } });
        assert.deepEqual((echo.result as { content: unknown }).content, [{ type: "text", text: "via B" }]);
        assert.equal(responsesWithId(raw, 1), 1);
        assert.equal(responsesWithId(raw, 2), 1);
      } finally {
        await finishRaw(raw);
      }
      assertNothingReached(b, secretsOfA);
      assert.ok(
        !b.requests.some((r) => new URLSearchParams(r.body).get("grant_type") === "refresh_token"),
        "no refresh at B",
      );
      assert.ok(
        b.requests.some((r) => r.method === "POST" && r.target === "/token"),
        "the bridge signed in again with B",
      );
      assert.match(
        raw.stderr(),
        new RegExp(
          `warning: The authorization server changed from ${a.issuer} to ${b.issuer}: signing in again`,
        ),
      );
      const { record: fromB } = await onlyRecord(dir);
      assert.equal(fromB.issuer, b.issuer);
      if (!staticClient) {
        assert.notEqual(fromB.client?.client_id, fromA.client!.client_id, "a new registration");
      }
    });
  });
}

Deno.test("issuer binding: logout revokes at the stored issuer's own revocation endpoint, never at the AS the server names now", async () => {
  await withSwitchWorld({}, async ({ a, b, mcp, dir }) => {
    const host = await connectHost(mcp.url, {
      args: cli(dir),
      permissions: signInPermissions(dir),
      env: { BROWSER },
    });
    try {
      await host.client.listTools();
    } finally {
      await host.close();
    }
    const { record } = await onlyRecord(dir);
    mcp.switchTo(b.issuer);
    const out = await runCli(["logout", mcp.url.href, "--config-dir", dir], {
      net: ["127.0.0.1"],
      read: [dir],
      write: [dir],
    });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Signed out of/);
    assert.ok(a.counters.revocations >= 1, "revoked at A");
    assert.deepEqual(b.requests.map((r) => `${r.method} ${r.target}`), [], "B received nothing at all");
    assertNothingReached(b, {
      "access token": record.tokens!.access_token,
      "refresh token": record.tokens!.refresh_token!,
    });
    assert.deepEqual(await storedRecords(dir), []);
  });
});

for (const stored of ["with its binding", "in a record written before bindings existed"] as const) {
  Deno.test(`issuer binding: a static client secret is bound to the issuer of its first sign-in and never sent to another (${stored})`, async () => {
    const port = freePort();
    const clientId = "static-confidential";
    const secret = `static-secret-${crypto.randomUUID()}`;
    await withSwitchWorld({
      accessTokenTtl: 2,
      clients: [{
        client_id: clientId,
        client_secret: secret,
        application_type: "native",
        redirect_uris: [`http://127.0.0.1:${port}/oauth/callback`],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      }],
    }, async ({ a, b, mcp, dir }) => {
      const args = cli(dir, [
        "--callback-port",
        String(port),
        "--static-oauth-client-info",
        JSON.stringify({
          client_id: clientId,
          client_secret: secret,
          token_endpoint_auth_method: "client_secret_post",
        }),
      ]);
      const first = await connectHost(mcp.url, {
        args,
        permissions: signInPermissions(dir),
        env: { BROWSER },
      });
      try {
        await first.client.listTools();
      } finally {
        await first.close();
      }
      const { record } = await onlyRecord(dir);
      assert.deepEqual(record.static_client, { client_id: clientId, issuer: a.issuer });
      assert.equal(record.client, undefined, "the static client is not written");
      if (stored !== "with its binding") {
        const { path } = await onlyRecord(dir);
        const { static_client: _, ...older } = record;
        await Deno.writeTextFile(path, JSON.stringify(older));
      }

      mcp.switchTo(b.issuer);
      await sleep(2_500);
      const raw = spawnRaw([mcp.url.href, ...args], signInPermissions(dir), { BROWSER });
      try {
        await raw.write(initializeLine(1));
        const refused = await responseTo(raw, 1, 30_000);
        assert.ok(refused.error, JSON.stringify(refused));
        assert.match(
          refused.error.message,
          new RegExp(
            `Refusing to send the client secret of --static-oauth-client-info to ${b.issuer}: it belongs to ${a.issuer}`,
          ),
        );
        // The bridge still answers the next request.
        const next = await request(raw, 2, "tools/list", {});
        assert.ok(next.error || next.result);
        assert.equal(responsesWithId(raw, 1), 1);
        assert.equal(responsesWithId(raw, 2), 1);
      } finally {
        await finishRaw(raw);
      }
      assertNothingReached(b, {
        "client secret": secret,
        "refresh token": record.tokens!.refresh_token!,
        "access token": record.tokens!.access_token,
      });
      assert.deepEqual(
        b.requests.filter((r) => r.method !== "GET").map((r) => r.target),
        [],
        "nothing POSTed to B",
      );
      assert.ok(!raw.stderr().includes(secret), "the secret is not on stderr");
    });
  });
}

Deno.test("issuer binding: 2025-03-26 fallback metadata whose issuer is not the origin it came from is refused", async () => {
  const b = await startRecordingAs();
  const server = await serveFallbackIssuerMismatch(b);
  await Deno.mkdir(".tmp", { recursive: true });
  const dir = await Deno.realPath(await Deno.makeTempDir({ dir: ".tmp", prefix: "sec-fallback-" }));
  try {
    const raw = spawnRaw([server.url.href, ...cli(dir)], signInPermissions(dir), { BROWSER });
    try {
      await raw.write(initializeLine(1));
      const refused = await responseTo(raw, 1, 30_000);
      assert.ok(refused.error, JSON.stringify(refused));
      assert.match(
        refused.error.message,
        new RegExp(
          `Refusing the authorization server metadata at ${server.url.origin}/\\.well-known/oauth-authorization-server: ` +
            `it names issuer "${b.issuer}", not ${server.url.origin}`,
        ),
      );
      const next = await request(raw, 2, "tools/list", {});
      assert.ok(next.error);
      assert.equal(responsesWithId(raw, 1), 1);
      assert.equal(responsesWithId(raw, 2), 1);
    } finally {
      await finishRaw(raw);
    }
    assert.deepEqual(
      b.requests.map((r) => `${r.method} ${r.target}`),
      [],
      "the other issuer was never contacted",
    );
    assert.ok(server.paths.includes("/.well-known/oauth-authorization-server"));
  } finally {
    await server.close();
    await b.close();
    await Deno.remove(dir, { recursive: true });
  }
});
