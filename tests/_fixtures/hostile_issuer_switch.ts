/**
 * Fixtures for the attack "credentials sent to another issuer" (no real server does this on purpose):
 *
 * - {@linkcode startRecordingAs}: authorization server B, a hostile one that records every request
 *   (method, path, query, headers, body) and otherwise behaves: metadata, registration, an
 *   authorization endpoint that approves at once, a token endpoint that issues opaque tokens for a
 *   code, and a revocation endpoint.
 * - {@linkcode serveIssuerSwitch}: an MCP server (the example server) protected by authorization
 *   server A (the real oidc-provider) until {@linkcode IssuerSwitchServer.switchTo} makes its protected
 *   resource metadata name B; from then on only tokens B issued are accepted.
 * - {@linkcode serveFallbackIssuerMismatch}: a 2025-03-26-style server (no resource metadata) whose
 *   authorization server metadata at its own origin names another issuer (B) and B's endpoints.
 *
 * @module
 */

import { type RunningServer, serveExample } from "../../src/demo/example_server.ts";
import { type AccessTokenClaims, jwtVerifier } from "../../src/demo/protected_server.ts";
import { serveLoopback } from "./loopback_server.ts";

/** One request an authorization server received, as sent. */
export interface RecordedRequest {
  /** The method. */
  method: string;
  /** The path and query. */
  target: string;
  /** Every header, lower-cased names. */
  headers: Record<string, string>;
  /** The body, as text. */
  body: string;
}

/** A running recording authorization server. */
export interface RecordingAs {
  /** The issuer, `http://127.0.0.1:<port>`. */
  issuer: string;
  /** Every request, in order. */
  requests: RecordedRequest[];
  /** The access tokens it issued. */
  issued: Set<string>;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Everything a request carried, as one text: target, headers (a Basic credential decoded too) and
 * body, with form and percent encoding undone, for "does it contain this secret" assertions.
 *
 * @param request The request.
 * @returns The text.
 */
export function everythingSent(request: RecordedRequest): string {
  const parts = [request.target, request.body];
  for (const [name, value] of Object.entries(request.headers)) {
    parts.push(`${name}: ${value}`);
    const basic = /^Basic\s+(\S+)$/i.exec(value);
    if (basic) {
      try {
        parts.push(atob(basic[1]!));
      } catch {
        // Not base64: kept as is.
      }
    }
  }
  const text = parts.join("\n");
  let decoded = text;
  try {
    decoded = decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    // Not valid percent encoding: the raw text is still searched.
  }
  return `${text}\n${decoded}`;
}

/**
 * Starts authorization server B on 127.0.0.1.
 *
 * @returns The running server.
 */
export function startRecordingAs(): Promise<RecordingAs> {
  const requests: RecordedRequest[] = [];
  const issued = new Set<string>();
  let issuer = "";
  const metadata = () => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    registration_endpoint: `${issuer}/register`,
    revocation_endpoint: `${issuer}/revoke`,
    response_types_supported: ["code"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
  });
  const handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = await request.text();
    requests.push({
      method: request.method,
      target: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      body,
    });
    switch (url.pathname) {
      case "/.well-known/oauth-authorization-server":
      case "/.well-known/openid-configuration":
        return Response.json(metadata());
      case "/register": {
        const asked = JSON.parse(body || "{}") as Record<string, unknown>;
        return Response.json({
          client_id: `b-client-${crypto.randomUUID()}`,
          token_endpoint_auth_method: "none",
          redirect_uris: asked.redirect_uris ?? [],
        }, { status: 201 });
      }
      case "/authorize": {
        const redirect = new URL(url.searchParams.get("redirect_uri")!);
        redirect.searchParams.set("code", `b-code-${crypto.randomUUID()}`);
        redirect.searchParams.set("state", url.searchParams.get("state") ?? "");
        redirect.searchParams.set("iss", issuer);
        return new Response(null, { status: 302, headers: { location: redirect.href } });
      }
      case "/token": {
        const form = new URLSearchParams(body);
        if (form.get("grant_type") !== "authorization_code") {
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        }
        const token = `b-at-${crypto.randomUUID()}`;
        issued.add(token);
        return Response.json({
          access_token: token,
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: `b-rt-${crypto.randomUUID()}`,
        });
      }
      case "/revoke":
        return new Response(null, { status: 200 });
      default:
        return new Response("Not found", { status: 404 });
    }
  };
  return serveLoopback(handle).then((server) => {
    issuer = server.origin;
    return { issuer, requests, issued, close: server.close };
  });
}

/** A running MCP server that moves from authorization server A to B. */
export type IssuerSwitchServer = RunningServer & {
  /** Names another authorization server in the resource metadata from now on. */
  switchTo(issuer: string): void;
  /** Bearer tokens of MCP requests the server refused, in order. */
  refused: string[];
};

/**
 * Serves the example server protected by `issuerA`, until {@linkcode IssuerSwitchServer.switchTo}
 * names `b` instead: then only tokens `b` issued are accepted.
 *
 * @param issuerA The real authorization server's issuer.
 * @param b The recording authorization server.
 * @returns The running server.
 */
export async function serveIssuerSwitch(issuerA: string, b: RecordingAs): Promise<IssuerSwitchServer> {
  let current = issuerA;
  let mcpUrl = "";
  let prmUrl = "";
  const refused: string[] = [];
  const verifyA: { fn?: (token: string) => Promise<AccessTokenClaims> } = {};
  const running = await serveExample({
    intercept: async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/oauth-protected-resource/mcp") {
        return Response.json({
          resource: mcpUrl,
          authorization_servers: [current],
          scopes_supported: ["mcp:read", "mcp:write"],
          bearer_methods_supported: ["header"],
        });
      }
      if (url.pathname !== "/mcp") return undefined;
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      if (token !== undefined) {
        if (b.issued.has(token)) return undefined;
        if (current === issuerA) {
          try {
            await verifyA.fn!(token);
            return undefined;
          } catch {
            // Refused below.
          }
        }
        refused.push(token);
      }
      return new Response(JSON.stringify({ error: "unauthorized" }), {
        status: 401,
        headers: {
          "content-type": "application/json",
          "www-authenticate": `Bearer ${
            token !== undefined ? 'error="invalid_token", ' : ""
          }resource_metadata="${prmUrl}"`,
        },
      });
    },
  });
  mcpUrl = running.url.href;
  prmUrl = new URL("/.well-known/oauth-protected-resource/mcp", running.url).href;
  verifyA.fn = jwtVerifier(issuerA, mcpUrl);
  return {
    ...running,
    refused,
    switchTo: (issuer) => {
      current = issuer;
    },
  };
}

/** A running 2025-03-26-style server whose fallback metadata names another issuer. */
export interface FallbackServer {
  /** The MCP endpoint. */
  url: URL;
  /** Requests it received, by path. */
  paths: string[];
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves an MCP endpoint that answers every request 401 without `resource_metadata`, publishes no
 * resource metadata, and serves `/.well-known/oauth-authorization-server` at its own origin with
 * `issuer` and every endpoint at authorization server `b`.
 *
 * @param b The authorization server it points at.
 * @returns The running server.
 */
export function serveFallbackIssuerMismatch(b: RecordingAs): Promise<FallbackServer> {
  const paths: string[] = [];
  const handle = (request: Request): Response => {
    const url = new URL(request.url);
    paths.push(url.pathname);
    if (url.pathname === "/.well-known/oauth-authorization-server") {
      return Response.json({
        issuer: b.issuer,
        authorization_endpoint: `${b.issuer}/authorize`,
        token_endpoint: `${b.issuer}/token`,
        registration_endpoint: `${b.issuer}/register`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (url.pathname === "/mcp") {
      return new Response(JSON.stringify({ error: "unauthorized" }), {
        status: 401,
        headers: { "content-type": "application/json", "www-authenticate": "Bearer" },
      });
    }
    return new Response("Not found", { status: 404 });
  };
  return serveLoopback(handle).then((server) => ({ url: server.url, paths, close: server.close }));
}
