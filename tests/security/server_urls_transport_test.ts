/**
 * Rule 4 (transport side): URLs the MCP server supplies to the transport are not a way into the
 * user's machine. The HTTP+SSE `endpoint` event must stay on the server's own origin (so it can
 * never name a link-local, cloud metadata, private or loopback address, or another scheme), and a
 * redirect may not leave the origin either (see cross_origin_redirect_test.ts). The authorization
 * side of the rule (metadata URLs) is proven in server_urls_test.ts.
 *
 * The attacker is a hand-written HTTP+SSE server whose `endpoint` event names the target.
 */

import assert from "node:assert/strict";
import { finishRaw, initializeLine, netFor, spawnRaw, stdoutMessages } from "../_fixtures/bridge_host.ts";
import { serveLoopback } from "../_fixtures/loopback_server.ts";

interface Hostile {
  url: URL;
  posts: string[];
  close(): Promise<void>;
}

/** An HTTP+SSE server whose `endpoint` event is `endpoint`; records every POST it receives. */
async function serveEndpointEvent(planted: string): Promise<Hostile> {
  const posts: string[] = [];
  let endpoint = planted;
  const server = await serveLoopback(async (request) => {
    if (request.method === "POST") {
      posts.push(await request.text());
      return new Response(null, { status: 405 });
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`event: endpoint\ndata: ${endpoint}\n\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }, "/sse");
  // The same origin as the server, with user:password@ in it.
  if (planted === "SAME_ORIGIN_WITH_CREDENTIALS") endpoint = `http://u:p@127.0.0.1:${server.port}/messages`;
  return { url: server.url, posts, close: server.close };
}

const TARGETS = [
  "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
  "http://[fe80::1]/messages",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://10.0.0.1/messages",
  "http://127.0.0.1:1/messages",
  "file:///etc/passwd",
  "//evil.example/messages",
  "https://user:pass@evil.example/messages",
  "SAME_ORIGIN_WITH_CREDENTIALS",
];

for (const target of TARGETS) {
  Deno.test(`attack: an HTTP+SSE endpoint event naming ${target} is refused before any request`, async () => {
    const server = await serveEndpointEvent(target);
    try {
      // --allow-net names the server only: had the bridge tried the target, the error would be a
      // missing permission, not the refusal.
      const raw = spawnRaw([server.url.href, "--transport", "sse-only"], { net: [netFor(server.url)] });
      await raw.write(initializeLine(1));
      const answer = JSON.parse(await raw.readLine());
      await finishRaw(raw);
      assert.equal(answer.id, 1);
      assert.match(
        answer.error.message,
        /Refusing the endpoint .* it must be on the same origin as the server URL/,
      );
      assert.doesNotMatch(answer.error.message, /lacks network permission/);
      assert.deepEqual(server.posts, []);
      assert.equal(stdoutMessages(raw.stdout()).length, 1);
    } finally {
      await server.close();
    }
  });
}

Deno.test("an HTTP+SSE endpoint on the server's own origin is used", async () => {
  const server = await serveEndpointEvent("/messages?session=1");
  try {
    const raw = spawnRaw([server.url.href, "--transport", "sse-only"], { net: [netFor(server.url)] });
    await raw.write(initializeLine(1));
    const answer = JSON.parse(await raw.readLine());
    await finishRaw(raw);
    // The POST reached the endpoint (this server then refuses it with 405): the endpoint was taken.
    assert.equal(server.posts.length, 1);
    assert.match(answer.error.message, /HTTP 405/);
  } finally {
    await server.close();
  }
});
