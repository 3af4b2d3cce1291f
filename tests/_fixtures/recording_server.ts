/**
 * An MCP server that records the bearer token of every MCP request and accepts any bearer token: the
 * example server behind a `Bearer` presence check, with an RFC 9728 protected resource metadata
 * document naming one authorization server. For tests that need to see exactly which token a client
 * sends (an access token or an OpenID `id_token`), which the strict protected server
 * (`src/demo/protected_server.ts`) does not expose.
 *
 * @module
 */

import { type RunningServer, serveExample } from "../../src/demo/example_server.ts";

/** Options for {@linkcode serveRecording}. */
export interface RecordingServerOptions {
  /** The issuer of the authorization server named in the PRM. */
  issuer: string;
  /** `scopes_supported` in the PRM. */
  scopesSupported: string[];
}

/** A running recording server. */
export type RecordingServer = RunningServer & {
  /** The PRM document's URL. */
  prmUrl: URL;
  /** The bearer tokens of the MCP requests, in order (requests without one are not listed). */
  bearers: string[];
  /** MCP requests without a bearer token (answered 401). */
  missing: number;
};

/**
 * Serves the example server, answering 401 with a `resource_metadata` challenge to requests
 * without a bearer token, and recording every bearer token it sees.
 *
 * @param options The issuer and the PRM scopes.
 * @returns The running server.
 */
export async function serveRecording(options: RecordingServerOptions): Promise<RecordingServer> {
  const bearers: string[] = [];
  const state = { missing: 0 };
  let mcpUrl = "";
  let prmUrl = "";
  const running = await serveExample({
    intercept: (request) => {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/oauth-protected-resource/mcp") {
        return Response.json({
          resource: mcpUrl,
          authorization_servers: [options.issuer],
          scopes_supported: options.scopesSupported,
          bearer_methods_supported: ["header"],
        });
      }
      if (url.pathname !== "/mcp") return undefined;
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "");
      if (!match) {
        state.missing++;
        return new Response(JSON.stringify({ error: "unauthorized" }), {
          status: 401,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer resource_metadata="${prmUrl}"`,
          },
        });
      }
      bearers.push(match[1]!);
      return undefined;
    },
  });
  mcpUrl = running.url.href;
  prmUrl = new URL("/.well-known/oauth-protected-resource/mcp", running.url).href;
  return {
    ...running,
    prmUrl: new URL(prmUrl),
    bearers,
    get missing() {
      return state.missing;
    },
  };
}
