import assert from "node:assert/strict";
import {
  CACHEABLE_METHODS,
  completeResult,
  discoverResult,
  LEGACY_CACHE_SCOPE,
  LEGACY_TTL_MS,
  modernCapabilities,
  serverIdentity,
} from "../../src/era/legacy_results.ts";

const SERVER_INFO = "io.modelcontextprotocol/serverInfo";

const CACHEABLE = [
  "server/discover",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "resources/read",
];

const NOT_CACHEABLE = [
  "tools/call",
  "prompts/get",
  "completion/complete",
  "ping",
  "initialize",
  "resources/subscribe",
  "subscriptions/listen",
  "logging/setLevel",
];

Deno.test("LEGACY_TTL_MS and LEGACY_CACHE_SCOPE are immediately stale and private", () => {
  assert.equal(LEGACY_TTL_MS, 0);
  assert.equal(LEGACY_CACHE_SCOPE, "private");
});

Deno.test("CACHEABLE_METHODS holds exactly the six cacheable methods", () => {
  assert.deepEqual([...CACHEABLE_METHODS].sort(), [...CACHEABLE].sort());
});

Deno.test("serverIdentity() returns the serverInfo with a string name and version", () => {
  assert.deepEqual(serverIdentity({ serverInfo: { name: "s", version: "1.2" } }), {
    name: "s",
    version: "1.2",
  });
});

Deno.test("serverIdentity() keeps the other Implementation fields", () => {
  const serverInfo = {
    name: "weather",
    version: "2.0.0",
    title: "Weather",
    icons: [{ src: "https://example.com/icon.png", mimeType: "image/png" }],
    websiteUrl: "https://example.com",
  };
  assert.deepEqual(serverIdentity({ protocolVersion: "2025-11-25", serverInfo }), {
    name: "weather",
    version: "2.0.0",
    title: "Weather",
    icons: [{ src: "https://example.com/icon.png", mimeType: "image/png" }],
    websiteUrl: "https://example.com",
  });
});

Deno.test("serverIdentity() returns undefined without a string name and version", () => {
  const cases: Record<string, unknown>[] = [
    {},
    { serverInfo: undefined },
    { serverInfo: null },
    { serverInfo: "weather 2.0.0" },
    { serverInfo: ["weather", "2.0.0"] },
    { serverInfo: {} },
    { serverInfo: { name: "s" } },
    { serverInfo: { version: "1" } },
    { serverInfo: { name: 1, version: "1" } },
    { serverInfo: { name: "s", version: 1.2 } },
    { serverInfo: { name: null, version: "1" } },
    { serverInfo: { name: "s", version: null } },
    { serverInfo: { name: ["s"], version: "1" } },
  ];
  for (const initializeResult of cases) {
    assert.equal(serverIdentity(initializeResult), undefined, JSON.stringify(initializeResult));
  }
});

Deno.test("modernCapabilities() keeps the 2026-07-28 capabilities as given", () => {
  const capabilities = {
    tools: { listChanged: true },
    prompts: { listChanged: false },
    resources: { subscribe: true, listChanged: true },
    logging: {},
    completions: {},
    experimental: { "x-thing": { on: true } },
    extensions: { "io.example/ext": { version: "1" } },
  };
  assert.deepEqual(modernCapabilities(capabilities), {
    tools: { listChanged: true },
    prompts: { listChanged: false },
    resources: { subscribe: true, listChanged: true },
    logging: {},
    completions: {},
    experimental: { "x-thing": { on: true } },
    extensions: { "io.example/ext": { version: "1" } },
  });
});

Deno.test("modernCapabilities() drops tasks and unknown capabilities", () => {
  assert.deepEqual(
    modernCapabilities({
      tools: {},
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      sampling: {},
      roots: { listChanged: true },
      elicitation: {},
      "x-custom": {},
    }),
    { tools: {} },
  );
  assert.deepEqual(modernCapabilities({ tasks: { list: {} } }), {});
});

Deno.test("modernCapabilities() drops capabilities whose value is not an object", () => {
  assert.deepEqual(
    modernCapabilities({
      tools: true,
      prompts: null,
      resources: [],
      logging: "yes",
      completions: 1,
      experimental: undefined,
      extensions: ["io.example/ext"],
    }),
    {},
  );
  assert.deepEqual(modernCapabilities({ tools: true, logging: {} }), { logging: {} });
});

Deno.test("modernCapabilities() returns no capabilities for input that is not an object", () => {
  for (const value of [undefined, null, "tools", 1, true, [], [{ tools: {} }]]) {
    assert.deepEqual(modernCapabilities(value), {}, JSON.stringify(value));
  }
});

Deno.test("discoverResult() builds the discover result of the JSDoc example", () => {
  assert.deepEqual(
    discoverResult({
      protocolVersion: "2025-11-25",
      capabilities: { tools: {} },
      serverInfo: { name: "weather", version: "2.0.0" },
      instructions: "Ask about the weather.",
    }),
    {
      resultType: "complete",
      supportedVersions: ["2026-07-28"],
      capabilities: { tools: {} },
      instructions: "Ask about the weather.",
      ttlMs: 0,
      cacheScope: "private",
      _meta: { [SERVER_INFO]: { name: "weather", version: "2.0.0" } },
    },
  );
});

Deno.test("discoverResult() offers only 2026-07-28, whatever version the server spoke", () => {
  for (const protocolVersion of ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", undefined]) {
    const result = discoverResult({ protocolVersion, capabilities: {} });
    assert.deepEqual(result.supportedVersions, ["2026-07-28"]);
    assert.equal("protocolVersion" in result, false);
  }
});

Deno.test("discoverResult() has the required fields even for an empty initialize result", () => {
  assert.deepEqual(discoverResult({}), {
    resultType: "complete",
    supportedVersions: ["2026-07-28"],
    capabilities: {},
    ttlMs: 0,
    cacheScope: "private",
  });
});

Deno.test("discoverResult() translates the capabilities, dropping tasks", () => {
  const result = discoverResult({
    capabilities: { tools: { listChanged: true }, tasks: { list: {} }, logging: {}, prompts: false },
    serverInfo: { name: "s", version: "1" },
  });
  assert.deepEqual(result.capabilities, { tools: { listChanged: true }, logging: {} });
  assert.deepEqual(discoverResult({ capabilities: "all" }).capabilities, {});
});

Deno.test("discoverResult() includes instructions only when they are a string", () => {
  assert.equal(discoverResult({ instructions: "" }).instructions, "");
  assert.equal(discoverResult({ instructions: "Be nice." }).instructions, "Be nice.");
  for (const instructions of [undefined, null, 1, true, ["a"], { text: "a" }]) {
    assert.equal("instructions" in discoverResult({ instructions }), false, JSON.stringify(instructions));
  }
});

Deno.test("discoverResult() never has a top-level serverInfo", () => {
  const withIdentity = discoverResult({ serverInfo: { name: "s", version: "1" } });
  const withoutIdentity = discoverResult({ serverInfo: { name: "s" } });
  assert.equal("serverInfo" in withIdentity, false);
  assert.equal("serverInfo" in withoutIdentity, false);
});

Deno.test("discoverResult() puts the full identity in _meta only when it is valid", () => {
  const serverInfo = { name: "s", version: "1", title: "S", websiteUrl: "https://example.com" };
  assert.deepEqual(discoverResult({ serverInfo })._meta, {
    [SERVER_INFO]: { name: "s", version: "1", title: "S", websiteUrl: "https://example.com" },
  });
  for (const bad of [undefined, null, {}, { name: "s" }, { version: "1" }, { name: "s", version: 1 }]) {
    assert.equal("_meta" in discoverResult({ serverInfo: bad }), false, JSON.stringify(bad));
  }
});

Deno.test("completeResult() completes a tools/list result as in the JSDoc example", () => {
  assert.deepEqual(completeResult("tools/list", { tools: [] }, { name: "s", version: "1" }), {
    resultType: "complete",
    tools: [],
    ttlMs: 0,
    cacheScope: "private",
    _meta: { [SERVER_INFO]: { name: "s", version: "1" } },
  });
  assert.deepEqual(completeResult("tools/call", { content: [] }, undefined), {
    resultType: "complete",
    content: [],
  });
});

Deno.test("completeResult() always says complete: only the bridge issues input_required", () => {
  assert.deepEqual(
    completeResult(
      "tools/call",
      { resultType: "input_required", inputRequests: {}, requestState: "x" },
      undefined,
    ),
    { resultType: "complete" },
  );
  assert.equal(
    completeResult("tools/list", { resultType: "task", tools: [] }, undefined).resultType,
    "complete",
  );
});

Deno.test("completeResult() adds caching hints to the results of each cacheable method", () => {
  for (const method of CACHEABLE) {
    const result = completeResult(method, { items: [1] }, undefined);
    assert.deepEqual(result, { resultType: "complete", items: [1], ttlMs: 0, cacheScope: "private" }, method);
  }
});

Deno.test("completeResult() adds no caching hints to other methods' results", () => {
  for (const method of NOT_CACHEABLE) {
    const result = completeResult(method, { content: [] }, undefined);
    assert.deepEqual(result, { resultType: "complete", content: [] }, method);
  }
});

Deno.test("completeResult() leaves a non-cacheable result's own hints alone", () => {
  assert.deepEqual(completeResult("tools/call", { ttlMs: 5000, cacheScope: "public" }, undefined), {
    resultType: "complete",
    ttlMs: 5000,
    cacheScope: "public",
  });
});

Deno.test("completeResult() keeps the server's own valid ttlMs and cacheScope", () => {
  for (const ttlMs of [0, 1, 60_000]) {
    for (const cacheScope of ["public", "private"]) {
      assert.deepEqual(
        completeResult("resources/read", { contents: [], ttlMs, cacheScope }, undefined),
        { resultType: "complete", contents: [], ttlMs, cacheScope },
        `${ttlMs} ${cacheScope}`,
      );
    }
  }
});

Deno.test("completeResult() replaces an invalid ttlMs with 0", () => {
  for (const ttlMs of [-1, -0.5, 1.5, Number.NaN, Infinity, -Infinity, "100", null, true, {}, [10]]) {
    const result = completeResult("prompts/list", { prompts: [], ttlMs, cacheScope: "public" }, undefined);
    assert.equal(result.ttlMs, 0, String(ttlMs));
    assert.equal(result.cacheScope, "public");
  }
});

Deno.test("completeResult() replaces an invalid cacheScope with private", () => {
  for (const cacheScope of ["shared", "PUBLIC", "Private", "", 1, null, true, {}, ["public"]]) {
    const result = completeResult("resources/list", { resources: [], ttlMs: 300, cacheScope }, undefined);
    assert.equal(result.cacheScope, "private", JSON.stringify(cacheScope));
    assert.equal(result.ttlMs, 300);
  }
});

Deno.test("completeResult() merges the identity into the server's own _meta", () => {
  const identity = { name: "s", version: "1", title: "S" };
  assert.deepEqual(
    completeResult(
      "tools/call",
      { content: [], _meta: { "com.example/trace": "abc", progressToken: 3 } },
      identity,
    ),
    {
      resultType: "complete",
      content: [],
      _meta: {
        "com.example/trace": "abc",
        progressToken: 3,
        [SERVER_INFO]: { name: "s", version: "1", title: "S" },
      },
    },
  );
});

Deno.test("completeResult() keeps the server's _meta as it is without an identity", () => {
  assert.deepEqual(completeResult("tools/call", { content: [], _meta: { a: 1 } }, undefined), {
    resultType: "complete",
    content: [],
    _meta: { a: 1 },
  });
});

Deno.test("completeResult() replaces a _meta that is not an object when it adds the identity", () => {
  for (const meta of ["x", 1, null, [1, 2]]) {
    assert.deepEqual(
      completeResult("ping", { _meta: meta }, { name: "s", version: "1" })._meta,
      { [SERVER_INFO]: { name: "s", version: "1" } },
      JSON.stringify(meta),
    );
  }
});

Deno.test("completeResult() does not change the server's result", () => {
  const result = {
    tools: [{ name: "echo" }],
    ttlMs: -5,
    cacheScope: "everyone",
    _meta: { a: 1 },
  };
  const before = structuredClone(result);
  const out = completeResult("tools/list", result, { name: "s", version: "1" });
  assert.deepEqual(result, before);
  assert.notEqual(out, result);
  assert.notEqual(out._meta, result._meta);
  assert.deepEqual(out, {
    resultType: "complete",
    tools: [{ name: "echo" }],
    ttlMs: 0,
    cacheScope: "private",
    _meta: { a: 1, [SERVER_INFO]: { name: "s", version: "1" } },
  });
});

Deno.test("completeResult() keeps an identity the server put in _meta itself", () => {
  const own = { name: "server-says", version: "7" };
  const out = completeResult("tools/call", {
    content: [],
    _meta: { "io.modelcontextprotocol/serverInfo": own },
  }, { name: "from-initialize", version: "1" });
  assert.deepEqual((out._meta as Record<string, unknown>)["io.modelcontextprotocol/serverInfo"], own);
});
