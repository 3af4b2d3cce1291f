import assert from "node:assert/strict";
import { checkMetadataEndpoints, discover, fetchAuthServerMetadata } from "../../src/auth/discover.ts";
import { Logger } from "../../src/log/logger.ts";

const log = new Logger({ level: "silent" });

Deno.test("checkMetadataEndpoints: every endpoint the bridge may use passes the address rule", () => {
  const server = new URL("https://mcp.example.com/mcp");
  const issuer = "https://as.example.com";
  checkMetadataEndpoints(
    {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      revocation_endpoint: `${issuer}/revoke`,
      device_authorization_endpoint: `${issuer}/device`,
      // Not used by the bridge: not checked.
      jwks_uri: "http://169.254.169.254/jwks",
    },
    server,
    false,
  );
  for (
    const name of [
      "authorization_endpoint",
      "token_endpoint",
      "registration_endpoint",
      "revocation_endpoint",
      "device_authorization_endpoint",
    ]
  ) {
    assert.throws(
      () => checkMetadataEndpoints({ issuer, [name]: "http://169.254.169.254/x" }, server, true),
      new RegExp(
        `^AuthError: Refusing the ${name} of https://as\\.example\\.com "http://169\\.254\\.169\\.254/x"`,
      ),
    );
    assert.throws(() => checkMetadataEndpoints({ issuer, [name]: 7 }, server, false), /not a URL string/);
  }
});

/** Serves JSON documents by path on 127.0.0.1 for the length of `fn`. */
async function withDocuments(
  documents: (origin: string) => Record<string, unknown>,
  fn: (origin: string, seen: string[]) => Promise<void>,
): Promise<void> {
  const seen: string[] = [];
  let origin = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const path = new URL(request.url).pathname;
    seen.push(path);
    const document = documents(origin)[path];
    return document === undefined ? new Response("Not found", { status: 404 }) : Response.json(document);
  });
  origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    await fn(origin, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("discover: 2025-03-26 fallback metadata must name the origin it was fetched from", async () => {
  await withDocuments((origin) => ({
    "/.well-known/oauth-authorization-server": {
      issuer: "https://elsewhere.example",
      token_endpoint: `${origin}/token`,
    },
  }), async (origin) => {
    await assert.rejects(
      discover({ fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: false, log }),
      new RegExp(
        `Refusing the authorization server metadata at ${origin}/\\.well-known/oauth-authorization-server: ` +
          `it names issuer "https://elsewhere\\.example", not ${origin}`,
      ),
    );
  });
  await withDocuments(
    () => ({ "/.well-known/oauth-authorization-server": { token_endpoint: "/x" } }),
    async (origin) => {
      await assert.rejects(
        discover({ fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: false, log }),
        /it names issuer none/,
      );
    },
  );
  // The origin itself (with or without "/") is accepted; no metadata at all means the default endpoints.
  for (const slash of ["", "/"]) {
    await withDocuments((origin) => ({
      "/.well-known/oauth-authorization-server": {
        issuer: origin + slash,
        token_endpoint: `${origin}/oauth/token`,
      },
    }), async (origin) => {
      const found = await discover({ fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: false, log });
      assert.equal(found.issuer, origin + slash);
      assert.equal(found.metadata.token_endpoint, `${origin}/oauth/token`);
    });
  }
  await withDocuments(() => ({}), async (origin) => {
    const found = await discover({ fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: false, log });
    assert.equal(found.issuer, origin);
    assert.equal(found.metadata.token_endpoint, `${origin}/token`);
  });
});

Deno.test("fetchAuthServerMetadata: only the issuer's own document, its endpoints checked", async () => {
  await withDocuments((origin) => ({
    "/.well-known/oauth-authorization-server": {
      issuer: origin,
      token_endpoint: `${origin}/token`,
      revocation_endpoint: `${origin}/revoke`,
    },
  }), async (origin, seen) => {
    const metadata = await fetchAuthServerMetadata(
      { fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: false, log },
      origin,
    );
    assert.equal(metadata.revocation_endpoint, `${origin}/revoke`);
    assert.deepEqual(seen, ["/.well-known/oauth-authorization-server"]);
  });
  await withDocuments((origin) => ({
    "/.well-known/oauth-authorization-server": {
      issuer: origin,
      revocation_endpoint: "http://10.0.0.1/revoke",
    },
  }), async (origin) => {
    await assert.rejects(
      fetchAuthServerMetadata({ fetch, serverUrl: new URL(`${origin}/mcp`), allowHttp: true, log }, origin),
      /Refusing the revocation_endpoint of .* it points at a private address/,
    );
  });
});
