/**
 * Benchmarks of the JSON-RPC envelope peek that the router runs on every message, host or server.
 *
 * @module
 */

import { parseMessage } from "../src/jsonrpc/message.ts";

const smallRequest = JSON.stringify({
  jsonrpc: "2.0",
  id: 42,
  method: "tools/call",
  params: { name: "echo", arguments: { text: "hello" } },
});

const bigResponse = JSON.stringify({
  jsonrpc: "2.0",
  id: 43,
  result: { content: [{ type: "text", text: "x".repeat(1024 * 1024) }] },
});

Deno.bench({
  name: "parseMessage: small tools/call request",
  group: "message",
  baseline: true,
  fn: () => {
    if (parseMessage(smallRequest).kind !== "request") throw new Error("not a request");
  },
});

Deno.bench({
  name: "parseMessage: 1 MiB tools/call response",
  group: "message",
  fn: () => {
    if (parseMessage(bigResponse).kind !== "response") throw new Error("not a response");
  },
});
