import assert from "node:assert/strict";
import { assertModernMessage, loadModernSchema, modernValidator } from "./modern_schema.ts";

const SERVER_INFO = { "io.modelcontextprotocol/serverInfo": { name: "x", version: "1" } };

const DISCOVER_RESULT = {
  resultType: "complete",
  supportedVersions: ["2026-07-28"],
  capabilities: {},
  ttlMs: 0,
  cacheScope: "private",
  _meta: SERVER_INFO,
};

const ELICIT = {
  method: "elicitation/create",
  params: { message: "m", requestedSchema: { type: "object", properties: {} } },
};

/** Asserts that `assertModernMessage` rejects `message`, with an error matching `pattern`. */
async function rejects(message: unknown, pattern: RegExp, method?: string): Promise<void> {
  await assert.rejects(assertModernMessage(message, { method }), pattern);
}

Deno.test("loadModernSchema() finds the 2026-07-28 schema in the conformance package", async () => {
  const schema = await loadModernSchema();
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  const defs = schema.$defs as Record<string, unknown>;
  for (const name of ["DiscoverResult", "InputRequiredResult", "SubscriptionsListenResult"]) {
    assert.ok(name in defs, name);
  }
  assert.equal(await loadModernSchema(), schema, "cached");
  assert.equal((await modernValidator()).schema, schema);
});

Deno.test("a valid server/discover response passes", async () => {
  await assertModernMessage({ jsonrpc: "2.0", id: 1, result: DISCOVER_RESULT }, {
    method: "server/discover",
  });
});

Deno.test("a server/discover response without ttlMs fails, naming the missing field", async () => {
  const { ttlMs: _, ...result } = DISCOVER_RESULT;
  await rejects({ jsonrpc: "2.0", id: 1, result }, /DiscoverResult[\s\S]*ttlMs/, "server/discover");
});

Deno.test("a server/discover response with a top-level serverInfo and no _meta passes (the schema allows it)", async () => {
  const { _meta: _, ...result } = DISCOVER_RESULT;
  await assertModernMessage(
    { jsonrpc: "2.0", id: 1, result: { ...result, serverInfo: { name: "x", version: "1" } } },
    { method: "server/discover" },
  );
});

Deno.test("a tools/list response without cacheScope fails", async () => {
  const result = { resultType: "complete", tools: [], ttlMs: 0 };
  await rejects({ jsonrpc: "2.0", id: 2, result }, /ListToolsResult[\s\S]*cacheScope/, "tools/list");
  await assertModernMessage(
    { jsonrpc: "2.0", id: 2, result: { ...result, cacheScope: "public" } },
    { method: "tools/list" },
  );
});

Deno.test("an input_required result is checked against InputRequiredResult", async () => {
  const response = (inputRequests: unknown) => ({
    jsonrpc: "2.0",
    id: 3,
    result: { resultType: "input_required", inputRequests },
  });
  await assertModernMessage(response({ a: ELICIT }), { method: "tools/call" });
  await rejects(response({ a: { method: "ping" } }), /InputRequiredResult/, "tools/call");
  await rejects({ ...response({ a: ELICIT }), jsonrpc: "1.0" }, /InputRequiredResult/, "tools/call");
});

Deno.test("notifications/tools/list_changed with a subscriptionId passes", async () => {
  await assertModernMessage({
    jsonrpc: "2.0",
    method: "notifications/tools/list_changed",
    params: { _meta: { "io.modelcontextprotocol/subscriptionId": 7 } },
  });
});

Deno.test("a request from the server fails", async () => {
  await rejects({ jsonrpc: "2.0", id: 4, method: "ping" }, /servers send no requests/);
  await rejects(
    { jsonrpc: "2.0", id: 4, method: "elicitation/create", params: ELICIT.params },
    /no requests/,
  );
});

Deno.test("an unknown notification fails", async () => {
  await rejects({ jsonrpc: "2.0", method: "notifications/foo" }, /Not a 2026-07-28 server notification/);
});

Deno.test("an error response passes, a malformed one fails", async () => {
  await assertModernMessage({ jsonrpc: "2.0", id: 5, error: { code: -32601, message: "Method not found" } });
  await rejects({ jsonrpc: "2.0", id: 5, error: { code: "x", message: "m" } }, /\/error\/code/);
});

Deno.test("a result response without a method needs a string resultType", async () => {
  await assertModernMessage({ jsonrpc: "2.0", id: 6, result: { resultType: "complete" } });
  await rejects({ jsonrpc: "2.0", id: 6, result: {} }, /resultType/);
});

Deno.test("a subscriptions/listen result needs the subscriptionId in _meta", async () => {
  const meta = { "io.modelcontextprotocol/subscriptionId": 8 };
  await assertModernMessage(
    { jsonrpc: "2.0", id: 8, result: { resultType: "complete", _meta: meta } },
    { method: "subscriptions/listen" },
  );
  await rejects(
    { jsonrpc: "2.0", id: 8, result: { resultType: "complete" } },
    /_meta/,
    "subscriptions/listen",
  );
});

Deno.test("an unknown request method and a non-object fail", async () => {
  await rejects(
    { jsonrpc: "2.0", id: 9, result: { resultType: "complete" } },
    /client request method/,
    "ping",
  );
  await rejects("hello", /Not a JSON-RPC message/);
});
