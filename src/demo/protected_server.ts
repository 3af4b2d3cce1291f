/**
 * An MCP server that requires access tokens from the test authorization server
 * (`oauth_server.ts`): the example server behind a bearer-token check.
 *
 * - RFC 9728 Protected Resource Metadata at `/.well-known/oauth-protected-resource/mcp`;
 * - a request without a valid token gets 401 and
 *   `WWW-Authenticate: Bearer resource_metadata="<prm url>"` (plus `error="invalid_token"` when a
 *   token was sent), or no header at all with `challenge: false`;
 * - with `requiredScope`, a valid token lacking it gets 403
 *   `Bearer error="insufficient_scope", scope="<required>", resource_metadata="<prm url>"`;
 * - tokens are JWT access tokens (RFC 9068) checked locally: RS256 signature against the issuer's
 *   JWKS (fetched from its discovery document, with `crypto.subtle`), `typ` `at+jwt`, `iss` the
 *   issuer, `aud` the MCP URL, `exp` in the future and `nbf`/`iat` not in the future.
 *
 * @module
 */

import { type RunningServer, serveExample, type ServeOptions } from "./example_server.ts";
import { RESOURCE_SCOPES } from "./oauth_server.ts";
import { dpopVerifier } from "./dpop_verifier.ts";

/** How the protected server checks requests. */
export interface ProtectedServerOptions extends Omit<ServeOptions, "intercept"> {
  /** The issuer of the authorization server that issues the tokens. */
  issuer: string;
  /** Send `WWW-Authenticate` with 401 responses (default true). */
  challenge?: boolean;
  /** Scopes every MCP request needs (space-separated); missing ones get 403 `insufficient_scope`. */
  requiredScope?: string;
  /** `scopes_supported` in the PRM (default {@linkcode RESOURCE_SCOPES}). */
  scopesSupported?: string[];
  /** Serve the PRM document (default true); false answers 404 there. */
  servePrm?: boolean;
  /**
   * Take DPoP-bound tokens only (RFC 9449): the PRM says so, the challenge is `DPoP`, every request must
   * carry a valid proof for its token; with `requireNonce`, one with the server's nonce.
   */
  dpop?: { requireNonce?: boolean };
}

/** What the protected server saw. */
export interface ProtectedCounters {
  /** MCP requests with a valid token (and enough scope). */
  valid: number;
  /** MCP requests with a token that failed validation. */
  invalid: number;
  /** MCP requests without a bearer token. */
  missing: number;
  /** MCP requests answered 403 `insufficient_scope`. */
  insufficientScope: number;
  /** Requests for the PRM document. */
  prm: number;
  /** Why the last invalid token was rejected. */
  lastRejection?: string;
  /** DPoP mode: requests answered `use_dpop_nonce`. */
  dpopNonceChallenges: number;
  /** DPoP mode: the `jti` of every accepted proof, in order. */
  dpopJtis: string[];
}

/** A running protected server. */
export type ProtectedServer = RunningServer & {
  /** The PRM document's URL. */
  prmUrl: URL;
  /** What it saw. */
  counters: ProtectedCounters;
};

/** The claims of an accepted access token. */
export interface AccessTokenClaims {
  iss: string;
  sub?: string;
  aud: string | string[];
  exp: number;
  iat?: number;
  nbf?: number;
  scope?: string;
  client_id?: string;
  [key: string]: unknown;
}

function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

function decodeJson(part: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(base64UrlDecode(part)));
}

/**
 * Verifies RFC 9068 JWT access tokens against an issuer's JWKS.
 *
 * @example Usage
 * ```ts ignore
 * const verify = jwtVerifier(issuer, "http://127.0.0.1:8080/mcp");
 * const claims = await verify(token); // throws with the reason when invalid
 * ```
 *
 * @param issuer The expected `iss` (its discovery document names the JWKS).
 * @param audience The expected `aud` (the MCP URL).
 * @returns A function that resolves to the claims or throws with the reason.
 */
export function jwtVerifier(issuer: string, audience: string): (token: string) => Promise<AccessTokenClaims> {
  let keys: Promise<Map<string, CryptoKey>> | undefined;
  const loadKeys = async () => {
    const discovery = await fetch(`${issuer}/.well-known/openid-configuration`);
    const { jwks_uri } = await discovery.json();
    const response = await fetch(jwks_uri);
    const { keys: jwks } = await response.json() as { keys: (JsonWebKey & { kid: string })[] };
    const map = new Map<string, CryptoKey>();
    for (const jwk of jwks) {
      if (jwk.kty !== "RSA") continue;
      map.set(
        jwk.kid,
        await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, [
          "verify",
        ]),
      );
    }
    return map;
  };
  return async (token) => {
    const parts = token.split(".");
    if (parts.length !== 3) throw new Error("not a JWT");
    const header = decodeJson(parts[0]);
    if (header.alg !== "RS256") throw new Error(`unexpected alg ${header.alg}`);
    if (String(header.typ).toLowerCase() !== "at+jwt") throw new Error(`unexpected typ ${header.typ}`);
    keys ??= loadKeys().catch((error) => {
      keys = undefined;
      throw error;
    });
    const key = (await keys).get(String(header.kid));
    if (!key) throw new Error(`unknown kid ${header.kid}`);
    const valid = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      key,
      base64UrlDecode(parts[2]),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    );
    if (!valid) throw new Error("bad signature");
    const claims = decodeJson(parts[1]) as AccessTokenClaims;
    const now = Date.now() / 1000;
    if (claims.iss !== issuer) throw new Error(`wrong issuer ${claims.iss}`);
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(audience)) throw new Error(`wrong audience ${claims.aud}`);
    if (typeof claims.exp !== "number" || claims.exp <= now) throw new Error("expired");
    if (typeof claims.nbf === "number" && claims.nbf > now + 5) throw new Error("not yet valid");
    return claims;
  };
}

function quote(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * Serves the example MCP server behind a bearer-token check, with its PRM document.
 *
 * @example Usage
 * ```ts ignore
 * import { startOAuthServer } from "./oauth_server.ts";
 * import { serveProtected } from "./protected_server.ts";
 * const as = await startOAuthServer();
 * const mcp = await serveProtected({ issuer: as.issuer, requiredScope: "mcp:write" });
 * await mcp.close();
 * await as.close();
 * ```
 *
 * @param options The issuer and how to challenge.
 * @returns The running server with its counters.
 */
export async function serveProtected(options: ProtectedServerOptions): Promise<ProtectedServer> {
  const counters: ProtectedCounters = {
    valid: 0,
    invalid: 0,
    missing: 0,
    insufficientScope: 0,
    prm: 0,
    dpopNonceChallenges: 0,
    dpopJtis: [],
  };
  const dpop = options.dpop ? dpopVerifier({ requireNonce: options.dpop.requireNonce ?? false }) : undefined;
  if (dpop) counters.dpopJtis = dpop.jtis;
  const verify: { fn?: (token: string) => Promise<AccessTokenClaims> } = {};
  let mcpUrl = "";
  let prmUrl = "";
  const challenge = (extra: string[] = []) => {
    if (options.challenge === false) return undefined;
    const scheme = dpop ? `DPoP algs="ES256", ` : "Bearer ";
    return `${scheme}${[...extra, `resource_metadata=${quote(prmUrl)}`].join(", ")}`;
  };
  const unauthorized = (error?: string) => {
    const header = challenge(error ? [`error=${quote(error)}`] : []);
    return new Response(JSON.stringify({ error: error ?? "unauthorized" }), {
      status: 401,
      headers: { "content-type": "application/json", ...(header ? { "www-authenticate": header } : {}) },
    });
  };

  const running = await serveExample({
    ...options,
    intercept: async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/oauth-protected-resource/mcp") {
        counters.prm++;
        if (options.servePrm === false) return new Response("Not found", { status: 404 });
        return Response.json({
          resource: mcpUrl,
          authorization_servers: [options.issuer],
          scopes_supported: options.scopesSupported ?? [...RESOURCE_SCOPES],
          bearer_methods_supported: ["header"],
          ...(dpop
            ? { dpop_bound_access_tokens_required: true, dpop_signing_alg_values_supported: ["ES256"] }
            : {}),
        });
      }
      if (url.pathname !== "/mcp") return undefined;
      const authorization = request.headers.get("authorization") ?? "";
      const match = (dpop ? /^DPoP\s+([A-Za-z0-9\-._~+/]+=*)$/i : /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)$/i).exec(
        authorization,
      );
      if (!match) {
        counters.missing++;
        return unauthorized();
      }
      let claims: AccessTokenClaims;
      try {
        claims = await verify.fn!(match[1]);
      } catch (error) {
        counters.invalid++;
        counters.lastRejection = error instanceof Error ? error.message : String(error);
        return unauthorized("invalid_token");
      }
      if (dpop) {
        const check = await dpop.check(request, match[1], (claims.cnf as { jkt?: unknown } | undefined)?.jkt);
        if (!check.ok) {
          counters.lastRejection = check.error;
          if (check.useNonce) {
            counters.dpopNonceChallenges++;
            const header = challenge([`error="use_dpop_nonce"`]);
            return new Response(JSON.stringify({ error: "use_dpop_nonce" }), {
              status: 401,
              headers: {
                "content-type": "application/json",
                "dpop-nonce": dpop.nonce,
                ...(header ? { "www-authenticate": header } : {}),
              },
            });
          }
          counters.invalid++;
          return unauthorized("invalid_token");
        }
      }
      if (options.requiredScope) {
        const granted = new Set((claims.scope ?? "").split(" "));
        if (!options.requiredScope.split(" ").every((s) => granted.has(s))) {
          counters.insufficientScope++;
          const header = challenge([`error="insufficient_scope"`, `scope=${quote(options.requiredScope)}`]);
          return new Response(JSON.stringify({ error: "insufficient_scope" }), {
            status: 403,
            headers: {
              "content-type": "application/json",
              ...(header ? { "www-authenticate": header } : {}),
            },
          });
        }
      }
      counters.valid++;
      return undefined;
    },
  });
  mcpUrl = running.url.href;
  prmUrl = new URL("/.well-known/oauth-protected-resource/mcp", running.url).href;
  verify.fn = jwtVerifier(options.issuer, mcpUrl);
  return { ...running, prmUrl: new URL(prmUrl), counters };
}
