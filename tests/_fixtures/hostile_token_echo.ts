/**
 * An MCP server that echoes the bearer token it received, bare (no "Bearer " before it, so no
 * pattern can recognise it): in the message of a JSON-RPC error answering `tools/call`, and in the
 * text body of an HTTP 500 answering `tools/list`. No real server does this on purpose; a careless
 * one's error page might. It names a real authorization server in its resource metadata and
 * answers 401 to a request without a bearer token, so that the token it echoes is a real one the
 * bridge obtained by signing in (use the authorization server's short opaque tokens, so that the
 * whole token fits in any excerpt of an error body).
 *
 * @module
 */

import { type RunningServer, serveExample } from "../../src/demo/example_server.ts";

/** A running echoing server. */
export type TokenEchoServer = RunningServer & {
  /** The tokens it echoed. */
  echoed: string[];
};

/**
 * Serves the echoing server for an issuer.
 *
 * @param issuer The authorization server's issuer.
 * @returns The running server.
 */
export async function serveTokenEcho(issuer: string): Promise<TokenEchoServer> {
  const echoed: string[] = [];
  let prmUrl = "";
  let mcpUrl = "";
  const running = await serveExample({
    intercept: async (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/oauth-protected-resource/mcp") {
        return Response.json({
          resource: mcpUrl,
          authorization_servers: [issuer],
          scopes_supported: ["mcp:read"],
        });
      }
      if (url.pathname !== "/mcp") return undefined;
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      if (token === undefined) {
        return new Response(JSON.stringify({ error: "unauthorized" }), {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer resource_metadata="${prmUrl}"`,
          },
        });
      }
      if (request.method !== "POST") return undefined;
      const body = await request.clone().text();
      let message: { id?: unknown; method?: string };
      try {
        message = JSON.parse(body);
      } catch {
        return undefined;
      }
      if (message.method === "tools/call") {
        echoed.push(token!);
        return Response.json({
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32603, message: `The credential ${token} is not allowed to call tools` },
        });
      }
      if (message.method === "tools/list") {
        echoed.push(token!);
        return new Response(`bad token ${token}`, {
          status: 500,
          headers: { "content-type": "text/plain" },
        });
      }
      return undefined;
    },
  });
  mcpUrl = running.url.href;
  prmUrl = new URL("/.well-known/oauth-protected-resource/mcp", running.url).href;
  return { ...running, echoed };
}
