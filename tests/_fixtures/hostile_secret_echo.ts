/**
 * An MCP server (the real example server) that answers some `tools/call` requests with an HTTP 500
 * whose body echoes what it received and what it holds: the user's `X-Api-Key` and
 * `Authorization` header values (as a header dump, bare, percent-encoded, JSON-escaped), and
 * secrets of its own in every shape the redactor must recognise (camelCase and kebab-case JSON
 * keys, escaped JSON, `?access_token=`, `user:pass@` in a URL). A careless server's error page
 * does this; no real server does it on purpose, hence the hand-written answers.
 *
 * Each shape has its own tool (`leak_<shape>`) so that each body fits whole in the bridge's
 * error excerpt. Other calls reach the real server.
 *
 * @module
 */

import { type RunningServer, serveExample } from "../../src/demo/example_server.ts";

/** The server's own secrets: values the bridge has never seen, recognisable only by their shape. */
export const SERVER_SECRETS = {
  accessToken: "AT-camel-5e1f0c2a",
  clientSecret: "CS-kebab-77ab91d3",
  escapedAccessToken: "AT-escaped-0c9d2b71",
  escapedRefreshToken: "RT-escaped-4f8a6e02",
  queryToken: "AT-query-93b7d5e4",
  urlPassword: "PW-url-2d4c6e8f",
  urlUser: "alice-url-user",
  apiKeyParam: "AK-param-6a5b4c3d",
} as const;

/** The shapes of leak, one per tool. */
export const LEAKS = [
  "leak_headers",
  "leak_bare",
  "leak_encoded",
  "leak_json",
  "leak_escaped",
  "leak_url",
] as const;

/** A running secret-echoing server. */
export type SecretEchoServer = RunningServer & {
  /** The `X-Api-Key` and `Authorization` values it received (so the test knows they arrived). */
  received: { apiKey: string | null; authorization: string | null }[];
};

function leakBody(tool: string, apiKey: string, authorization: string): Response {
  const s = SERVER_SECRETS;
  const credential = authorization.replace(/^\S+\s+/, "");
  const text = (body: string) =>
    new Response(body, { status: 500, headers: { "content-type": "text/plain" } });
  switch (tool) {
    case "leak_headers":
      return text(`x-api-key: ${apiKey}\nauthorization: ${authorization}`);
    case "leak_bare":
      return text(`bad credentials ${apiKey} ${credential}`);
    case "leak_encoded":
      return text(`see /x?k=${encodeURIComponent(apiKey)}&t=${encodeURIComponent(credential)}`);
    case "leak_json":
      // JSON: the bridge quotes the message member, itself a JSON text with camel and kebab keys.
      return Response.json({
        message: JSON.stringify({ accessToken: s.accessToken, "client-secret": s.clientSecret }),
      }, { status: 500 });
    case "leak_escaped":
      return text(
        `{\\"access_token\\":\\"${s.escapedAccessToken}\\",\\"refresh_token\\":\\"${s.escapedRefreshToken}\\"}`,
      );
    case "leak_url":
      return text(
        `go https://${s.urlUser}:${s.urlPassword}@h.example/cb?access_token=${s.queryToken}&apiKey=${s.apiKeyParam}`,
      );
    default:
      return text("unknown leak");
  }
}

/**
 * Serves the secret-echoing server on 127.0.0.1.
 *
 * @returns The running server.
 */
export async function serveSecretEcho(): Promise<SecretEchoServer> {
  const received: SecretEchoServer["received"] = [];
  const running = await serveExample({
    intercept: async (request) => {
      if (request.method !== "POST" || new URL(request.url).pathname !== "/mcp") return undefined;
      const apiKey = request.headers.get("x-api-key");
      const authorization = request.headers.get("authorization");
      received.push({ apiKey, authorization });
      let message: { method?: string; params?: { name?: string } };
      try {
        message = JSON.parse(await request.clone().text());
      } catch {
        return undefined;
      }
      const tool = message.params?.name ?? "";
      if (message.method !== "tools/call" || !tool.startsWith("leak_")) return undefined;
      return leakBody(tool, apiKey ?? "", authorization ?? "");
    },
  });
  return { ...running, received };
}
