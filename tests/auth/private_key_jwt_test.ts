/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2) end to end: the real CLI with exact
 * permissions, oidc-provider holding only the client's public key, the client credentials grant. The
 * private key is given as a PEM file (`"private_key": "@file"`) or as an inline JWK; it must never
 * reach stderr, the store, or the authorization server (only the signed assertion does).
 */

import assert from "node:assert/strict";
import { connectHost, type Host, HostConnectError } from "../_fixtures/bridge_host.ts";
import { type OAuthWorld, onlyRecord, withOAuthWorld } from "../_fixtures/oauth_cli.ts";
import { jwtClient, keyPair } from "../_fixtures/jwt_client.ts";

interface KoaContext {
  path: string;
  headers: Record<string, string | undefined>;
  oidc?: { params?: Record<string, unknown> };
}

/** A bridge signing in as `clientId` with the client credentials grant and `key` (private_key_jwt, ES256). */
function startWithKey(world: OAuthWorld, clientId: string, key: JsonWebKey) {
  return connectHost(world.mcp.url, {
    args: [
      "--config-dir",
      world.dir,
      "--client-credentials",
      "--static-oauth-client-info",
      JSON.stringify({ client_id: clientId, private_key: key, token_endpoint_auth_signing_alg: "ES256" }),
    ],
    permissions: { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
  });
}

/** What a host saw when it listed the tools: "listed", or the error and the bridge's stderr. */
async function listOutcome(host: Host): Promise<string> {
  try {
    await host.client.listTools();
    return "listed";
  } catch (error) {
    return `${(error as Error).message}\n${host.stderr()}`;
  } finally {
    await host.close();
  }
}

function failedToConnect(error: unknown): string {
  return error instanceof HostConnectError ? error.message : String(error);
}

function decodePart(jwt: string, index: 0 | 1): Record<string, unknown> {
  const part = jwt.split(".")[index]!;
  const base64 = part.replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
}

function observeTokenRequests(
  provider: {
    on(
      event: string,
      listener: (ctx: KoaContext & { oidc?: { body?: Record<string, unknown> } }) => void,
    ): unknown;
  },
): { scheme: string; params: Record<string, unknown>; body: string }[] {
  const seen: { scheme: string; params: Record<string, unknown>; body: string }[] = [];
  const onToken = (ctx: KoaContext & { oidc?: { body?: Record<string, unknown> } }) => {
    const authorization = ctx.headers.authorization;
    seen.push({
      scheme: authorization ? authorization.split(" ")[0]! : "none",
      params: { ...(ctx.oidc?.params ?? {}) },
      body: JSON.stringify(ctx.oidc?.body ?? {}),
    });
  };
  provider.on("grant.success", onToken);
  provider.on("grant.error", onToken);
  return seen;
}

Deno.test("private_key_jwt: --client-credentials with a PEM key file signs in with a signed assertion, never the key", async () => {
  const { pem, publicJwk } = await keyPair();
  const clientId = "pkjwt-pem";
  await withOAuthWorld({ as: { clients: [jwtClient(clientId, publicJwk)] } }, async (world) => {
    const keyFile = `${world.dir}/client-key.pem`;
    await Deno.writeTextFile(keyFile, pem, { mode: 0o600 });
    const seen = observeTokenRequests(world.as.provider);
    const host = await connectHost(world.mcp.url, {
      args: [
        "--config-dir",
        world.dir,
        "--debug",
        "--client-credentials",
        "--static-oauth-client-info",
        JSON.stringify({
          client_id: clientId,
          private_key: `@${keyFile}`,
          token_endpoint_auth_signing_alg: "ES256",
        }),
      ],
      permissions: { net: ["127.0.0.1"], read: [world.dir], write: [world.dir] },
    });
    let stderr = "";
    try {
      const { tools } = await host.client.listTools();
      assert.ok(tools.some((tool) => tool.name === "echo"));
    } finally {
      stderr = host.stderr();
      await host.close();
    }
    assert.deepEqual(world.as.counters.tokenErrors, {}, "the assertion authenticated the client");
    assert.ok((world.as.counters.tokenRequests.client_credentials ?? 0) >= 1);
    assert.ok(seen.length >= 1);
    for (const request of seen) {
      assert.equal(request.scheme, "none", "no Basic header: the client authenticates in the body");
      assert.ok(!request.body.includes("PRIVATE KEY"), "the key itself was sent");
    }
    const body = seen[0]!.body;
    const assertion = JSON.parse(body).client_assertion as string;
    assert.equal(
      JSON.parse(body).client_assertion_type,
      "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    );
    const header = decodePart(assertion, 0);
    const claims = decodePart(assertion, 1);
    assert.equal(header.alg, "ES256");
    assert.equal(claims.iss, clientId);
    assert.equal(claims.sub, clientId);
    assert.equal(claims.aud, world.as.issuer, "the audience is the authorization server's issuer");
    assert.equal(typeof claims.jti, "string");
    assert.ok((claims.exp as number) - (claims.iat as number) <= 60, "a short-lived assertion");
    const keyBody = pem.split("\n")[1]!;
    assert.ok(!stderr.includes(keyBody), "a line of the private key reached stderr");
    const { path, record } = await onlyRecord(world.dir);
    assert.equal(record.client, undefined, "a static client is not stored");
    const stored = await Deno.readTextFile(path);
    assert.ok(!stored.includes(keyBody) && !stored.includes("signing_key"), "the key reached the store");
    for await (const entry of Deno.readDir(`${world.dir}/logs`)) {
      const log = await Deno.readTextFile(`${world.dir}/logs/${entry.name}`);
      assert.ok(!log.includes(keyBody), "a line of the private key reached the debug log");
    }
  });
});

Deno.test("private_key_jwt: an inline JWK works; a key the server does not know is refused with the server's reason", async () => {
  const { privateJwk, publicJwk } = await keyPair();
  const other = await keyPair();
  await withOAuthWorld({ as: { clients: [jwtClient("pkjwt-jwk", publicJwk)] } }, async (world) => {
    const run = (jwk: JsonWebKey) => startWithKey(world, "pkjwt-jwk", jwk);
    const host = await run(privateJwk);
    try {
      const { tools } = await host.client.listTools();
      assert.ok(tools.length > 0);
    } finally {
      await host.close();
    }
    await Deno.remove(`${world.dir}/v1`, { recursive: true });
    // Signed with a key the authorization server does not hold: refused, reported, never hung.
    const refused = await run(other.privateJwk).then(listOutcome, failedToConnect);
    assert.match(refused, /invalid_client/);
    assert.ok(!refused.includes(other.privateJwk.d!), "the private key reached an error message");
  });
});

Deno.test("private_key_jwt: a key that is not a private key is refused before any request, naming the flag", async () => {
  const { publicJwk } = await keyPair();
  await withOAuthWorld({ as: { clients: [jwtClient("pkjwt-bad", publicJwk)] } }, async (world) => {
    const outcome = await startWithKey(world, "pkjwt-bad", publicJwk).then(listOutcome, failedToConnect);
    assert.match(
      outcome,
      /Cannot use the private key of --static-oauth-client-info for ES256: the JWK has no private part/,
    );
    assert.equal(world.as.counters.tokenRequests.client_credentials ?? 0, 0, "no token request was made");
  });
});
