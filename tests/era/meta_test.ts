import assert from "node:assert/strict";
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  LOG_LEVEL_META_KEY,
  PROTOCOL_VERSION_META_KEY,
  requestMeta,
  resultServerInfo,
  SERVER_INFO_META_KEY,
  stampRequest,
  SUBSCRIPTION_ID_META_KEY,
} from "../../src/era/meta.ts";

const META = {
  protocolVersion: "2026-07-28",
  clientCapabilities: { elicitation: { form: {} } },
  clientInfo: { name: "mcp-bridge", version: "0.1.0" },
};

Deno.test("the _meta keys are the reserved io.modelcontextprotocol names", () => {
  assert.equal(PROTOCOL_VERSION_META_KEY, "io.modelcontextprotocol/protocolVersion");
  assert.equal(CLIENT_CAPABILITIES_META_KEY, "io.modelcontextprotocol/clientCapabilities");
  assert.equal(CLIENT_INFO_META_KEY, "io.modelcontextprotocol/clientInfo");
  assert.equal(LOG_LEVEL_META_KEY, "io.modelcontextprotocol/logLevel");
  assert.equal(SUBSCRIPTION_ID_META_KEY, "io.modelcontextprotocol/subscriptionId");
  assert.equal(SERVER_INFO_META_KEY, "io.modelcontextprotocol/serverInfo");
});

Deno.test("stampRequest() adds the protocol fields and keeps the host's _meta and params", () => {
  const message = {
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: {
      name: "echo",
      arguments: { text: "hi" },
      _meta: { progressToken: "p1", traceparent: "00-abc-def-01" },
    },
  };
  const stamped = stampRequest(message, { ...META, logLevel: "info" });
  assert.deepEqual(stamped, {
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: {
      name: "echo",
      arguments: { text: "hi" },
      _meta: {
        progressToken: "p1",
        traceparent: "00-abc-def-01",
        [PROTOCOL_VERSION_META_KEY]: "2026-07-28",
        [CLIENT_CAPABILITIES_META_KEY]: { elicitation: { form: {} } },
        [CLIENT_INFO_META_KEY]: { name: "mcp-bridge", version: "0.1.0" },
        [LOG_LEVEL_META_KEY]: "info",
      },
    },
  });
});

Deno.test("stampRequest() does not modify the input message", () => {
  const message = {
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: { cursor: "c", _meta: { progressToken: 1 } },
  };
  const before = structuredClone(message);
  const stamped = stampRequest(message, META);
  assert.deepEqual(message, before);
  assert.notEqual(stamped, message);
  assert.notEqual(stamped.params, message.params);
});

Deno.test("stampRequest() creates params and _meta when the request has none", () => {
  const stamped = stampRequest({ jsonrpc: "2.0", id: "a", method: "server/discover" }, META);
  assert.deepEqual(stamped.params, {
    _meta: {
      [PROTOCOL_VERSION_META_KEY]: "2026-07-28",
      [CLIENT_CAPABILITIES_META_KEY]: { elicitation: { form: {} } },
      [CLIENT_INFO_META_KEY]: { name: "mcp-bridge", version: "0.1.0" },
    },
  });
});

Deno.test("stampRequest() replaces protocol fields the host already sent", () => {
  const stamped = stampRequest({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: {
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: "2025-11-25",
        [CLIENT_INFO_META_KEY]: { name: "x", version: "1" },
      },
    },
  }, META);
  const meta = (stamped.params as { _meta: Record<string, unknown> })._meta;
  assert.equal(meta[PROTOCOL_VERSION_META_KEY], "2026-07-28");
  assert.deepEqual(meta[CLIENT_INFO_META_KEY], { name: "mcp-bridge", version: "0.1.0" });
});

Deno.test("stampRequest() leaves out logLevel unless given, keeping one the host set", () => {
  const plain = stampRequest({ jsonrpc: "2.0", id: 1, method: "tools/list" }, META);
  assert.equal(LOG_LEVEL_META_KEY in (plain.params as { _meta: object })._meta, false);
  const hosts = stampRequest(
    { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { [LOG_LEVEL_META_KEY]: "debug" } } },
    META,
  );
  assert.equal((hosts.params as { _meta: Record<string, unknown> })._meta[LOG_LEVEL_META_KEY], "debug");
  const ours = stampRequest(
    { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: { [LOG_LEVEL_META_KEY]: "debug" } } },
    { ...META, logLevel: "error" },
  );
  assert.equal((ours.params as { _meta: Record<string, unknown> })._meta[LOG_LEVEL_META_KEY], "error");
});

Deno.test("stampRequest() copies clientInfo so later changes to the input do not leak in", () => {
  const clientInfo = { name: "a", version: "1" };
  const stamped = stampRequest({ jsonrpc: "2.0", id: 1, method: "x" }, { ...META, clientInfo });
  clientInfo.name = "changed";
  assert.deepEqual((stamped.params as { _meta: Record<string, unknown> })._meta[CLIENT_INFO_META_KEY], {
    name: "a",
    version: "1",
  });
});

Deno.test("stampRequest() refuses params or _meta that are not objects, naming the value", () => {
  assert.throws(
    () => stampRequest({ jsonrpc: "2.0", id: 1, method: "x", params: [1, 2] }, META),
    { name: "TypeError", message: "Cannot stamp the request: params is not an object: [1,2]" },
  );
  assert.throws(
    () => stampRequest({ jsonrpc: "2.0", id: 1, method: "x", params: { _meta: null } }, META),
    { name: "TypeError", message: "Cannot stamp the request: params._meta is not an object: null" },
  );
});

Deno.test("requestMeta() reads back what stampRequest() wrote", () => {
  const stamped = stampRequest({ jsonrpc: "2.0", id: 1, method: "tools/list" }, {
    ...META,
    logLevel: "warning",
  });
  assert.deepEqual(requestMeta(stamped), { ...META, logLevel: "warning" });
});

Deno.test("requestMeta() is empty for a legacy host's request", () => {
  assert.deepEqual(requestMeta({ jsonrpc: "2.0", id: 1, method: "tools/list" }), {});
  assert.deepEqual(
    requestMeta({ jsonrpc: "2.0", id: 1, method: "x", params: { _meta: { progressToken: 1 } } }),
    {},
  );
  assert.deepEqual(requestMeta({ jsonrpc: "2.0", id: 1, method: "x", params: [] }), {});
  assert.deepEqual(requestMeta({ jsonrpc: "2.0", id: 1, method: "x", params: { _meta: "no" } }), {});
});

Deno.test("requestMeta() leaves out fields of the wrong type", () => {
  const meta = requestMeta({
    jsonrpc: "2.0",
    id: 1,
    method: "x",
    params: {
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: 20260728,
        [CLIENT_CAPABILITIES_META_KEY]: [],
        [CLIENT_INFO_META_KEY]: { name: "only-name" },
        [LOG_LEVEL_META_KEY]: 3,
      },
    },
  });
  assert.deepEqual(meta, {});
});

Deno.test("resultServerInfo() reads serverInfo from a result's _meta", () => {
  assert.deepEqual(
    resultServerInfo({
      resultType: "complete",
      _meta: { [SERVER_INFO_META_KEY]: { name: "srv", version: "9" } },
    }),
    { name: "srv", version: "9" },
  );
  assert.equal(resultServerInfo({ resultType: "complete" }), undefined);
  assert.equal(resultServerInfo({ _meta: { [SERVER_INFO_META_KEY]: { name: "srv" } } }), undefined);
  assert.equal(resultServerInfo({ _meta: null }), undefined);
});
