/**
 * Benchmarks of one request through `ServerExchange.send` as the bridge runs it by default: with the lazy
 * credential hook of a server that has nothing stored (the OAuth client never loads), a cookie jar that holds
 * nothing, the host's abort signal and the protocol headers of a Streamable HTTP POST. The `fetch` seam answers
 * at once, so what is measured is the bridge's own work around the runtime's request (and its garbage:
 * `deno bench` reports time, `bench/gc_trace.ts` the collector).
 *
 * @module
 */

import { LazyAuthHook } from "../src/auth/lazy_hook.ts";
import { Logger } from "../src/log/logger.ts";
import { CookieJar } from "../src/net/cookie_jar.ts";
import { ServerExchange } from "../src/transport/exchange.ts";

const log = new Logger({ level: "error", sink: { write: () => {} } });
const auth = new LazyAuthHook(
  () => Promise.reject(new Error("The OAuth client must not load: nothing is stored")),
  log,
  () => Promise.resolve(false),
);
auth.warmUp();
// The answer the seam gives every request (its headers are read: cookies, the auth hook's observe).
const answer = () =>
  new Response('{"jsonrpc":"2.0","id":1,"result":{}}', { headers: { "content-type": "application/json" } });
const exchange = new ServerExchange({
  url: new URL("http://127.0.0.1:1/mcp"),
  headers: [],
  fetch: () => Promise.resolve(answer()),
  log,
  auth,
  cookies: new CookieJar(),
});
const host = new AbortController();
const body =
  '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}';
const headers: [string, string][] = [
  ["content-type", "application/json"],
  ["accept", "application/json, text/event-stream"],
  ["mcp-session-id", "0f0e0d0c-0b0a-4908-8706-050403020100"],
  ["mcp-protocol-version", "2025-11-25"],
];

// The hook's peek of the store settles before the first measured request.
await exchange.send({ method: "POST", headers, body, operation: "tools/call", signal: host.signal });

Deno.bench("ServerExchange.send: a tools/call POST (nothing stored, no cookies)", async () => {
  const res = await exchange.send({
    method: "POST",
    headers,
    body,
    operation: "tools/call",
    signal: host.signal,
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
});
