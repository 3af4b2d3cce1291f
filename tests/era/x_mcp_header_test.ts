import assert from "node:assert/strict";
import {
  filterToolsResult,
  type HeaderParam,
  PARAM_HEADER_PREFIX,
  paramHeaders,
  toolHeaderPlan,
  X_MCP_HEADER,
} from "../../src/era/x_mcp_header.ts";

function tool(properties: Record<string, unknown>, extra: Record<string, unknown> = {}, name = "t") {
  return { name, inputSchema: { type: "object", properties, ...extra } };
}

function reason(plan: ReturnType<typeof toolHeaderPlan>): string {
  assert.equal(plan.ok, false);
  return plan.ok ? "" : plan.reason;
}

function params(plan: ReturnType<typeof toolHeaderPlan>): HeaderParam[] {
  assert.ok(plan.ok, plan.ok ? "" : plan.reason);
  return plan.params;
}

Deno.test("the extension key and header prefix are as the spec names them", () => {
  assert.equal(X_MCP_HEADER, "x-mcp-header");
  assert.equal(PARAM_HEADER_PREFIX, "Mcp-Param-");
});

Deno.test("toolHeaderPlan() collects the spec's example annotation", () => {
  const plan = toolHeaderPlan({
    name: "execute_sql",
    description: "Execute SQL on Google Cloud Spanner",
    inputSchema: {
      type: "object",
      properties: {
        region: { type: "string", description: "The region", "x-mcp-header": "Region" },
        query: { type: "string", description: "The SQL query" },
      },
      required: ["region", "query"],
    },
  });
  assert.deepEqual(plan, {
    ok: true,
    params: [{ header: "Region", property: "region", path: ["region"], type: "string" }],
  });
});

Deno.test("toolHeaderPlan() accepts string, integer and boolean, in schema order", () => {
  assert.deepEqual(
    params(toolHeaderPlan(tool({
      a: { type: "integer", "x-mcp-header": "A" },
      b: { type: "boolean", "x-mcp-header": "B" },
      c: { type: "string", "x-mcp-header": "C" },
    }))).map((p) => [p.header, p.type]),
    [["A", "integer"], ["B", "boolean"], ["C", "string"]],
  );
});

Deno.test("toolHeaderPlan() accepts a nullable primitive type", () => {
  assert.deepEqual(
    params(toolHeaderPlan(tool({ a: { type: ["integer", "null"], "x-mcp-header": "A" } })))[0]?.type,
    "integer",
  );
  assert.deepEqual(
    params(toolHeaderPlan(tool({ a: { type: ["null", "string"], "x-mcp-header": "A" } })))[0]?.type,
    "string",
  );
});

Deno.test("toolHeaderPlan() accepts nested object properties reached through properties only", () => {
  const plan = toolHeaderPlan(tool({
    options: {
      type: "object",
      properties: {
        limits: { type: "object", properties: { max: { type: "integer", "x-mcp-header": "Max" } } },
      },
    },
  }));
  assert.deepEqual(params(plan), [{
    header: "Max",
    property: "max",
    path: ["options", "limits", "max"],
    type: "integer",
  }]);
});

Deno.test("toolHeaderPlan() gives an empty plan without annotations or without an inputSchema", () => {
  assert.deepEqual(toolHeaderPlan(tool({ q: { type: "string" } })), { ok: true, params: [] });
  assert.deepEqual(toolHeaderPlan({ name: "t" }), { ok: true, params: [] });
  assert.deepEqual(
    toolHeaderPlan({ name: "t", inputSchema: { type: "object", additionalProperties: false } }),
    {
      ok: true,
      params: [],
    },
  );
  assert.deepEqual(toolHeaderPlan(null), { ok: true, params: [] });
});

Deno.test("toolHeaderPlan() does not mistake a property named x-mcp-header or data values for annotations", () => {
  const plan = toolHeaderPlan(tool({
    "x-mcp-header": { type: "string" },
    mode: { type: "string", enum: ["a"], default: "a", examples: [{ "x-mcp-header": "X" }], const: "a" },
  }));
  assert.deepEqual(plan, { ok: true, params: [] });
});

Deno.test("toolHeaderPlan() rejects every invalid tool of the conformance scenario", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["empty", { value: { type: "string", "x-mcp-header": "" } }, /is empty$/],
    [
      "object",
      { data: { type: "object", "x-mcp-header": "Data" } },
      /not a string, integer or boolean: type "object"$/,
    ],
    [
      "array",
      { items: { type: "array", items: { type: "string" }, "x-mcp-header": "Items" } },
      /type "array"$/,
    ],
    ["null", { nil: { type: "null", "x-mcp-header": "Nil" } }, /type "null"$/],
    ["number", { score: { type: "number", "x-mcp-header": "Score" } }, /type "number"$/],
    [
      "duplicate",
      { f1: { type: "string", "x-mcp-header": "Region" }, f2: { type: "string", "x-mcp-header": "Region" } },
      /repeats another case-insensitively: "Region"$/,
    ],
    [
      "duplicate case",
      {
        f1: { type: "string", "x-mcp-header": "MyField" },
        f2: { type: "string", "x-mcp-header": "myfield" },
      },
      /"myfield" of property "f2" repeats another case-insensitively: "MyField"$/,
    ],
    [
      "space",
      { value: { type: "string", "x-mcp-header": "My Region" } },
      /not an RFC 9110 token: "My Region"$/,
    ],
    ["colon", { value: { type: "string", "x-mcp-header": "Region:Primary" } }, /not an RFC 9110 token/],
    ["non-ASCII", { value: { type: "string", "x-mcp-header": "Région" } }, /not an RFC 9110 token/],
    [
      "tab",
      { value: { type: "string", "x-mcp-header": "Region\t1" } },
      /not an RFC 9110 token: "Region\\t1"$/,
    ],
    ["CR LF", { value: { type: "string", "x-mcp-header": "A\r\nB" } }, /not an RFC 9110 token/],
    ["NUL", { value: { type: "string", "x-mcp-header": "A\0" } }, /not an RFC 9110 token/],
    ["DEL", { value: { type: "string", "x-mcp-header": "A\x7f" } }, /not an RFC 9110 token/],
    ["delimiters", { value: { type: "string", "x-mcp-header": "A(B)" } }, /not an RFC 9110 token/],
    ["not a string", { value: { type: "string", "x-mcp-header": 7 } }, /is not a string: 7$/],
    ["no type", { value: { "x-mcp-header": "V" } }, /no type$/],
    [
      "number in a union",
      { value: { type: ["integer", "number"], "x-mcp-header": "V" } },
      /type \["integer","number"\]$/,
    ],
    [
      "two primitives",
      { value: { type: ["string", "integer"], "x-mcp-header": "V" } },
      /type \["string","integer"\]$/,
    ],
    ["$ref", { value: { $ref: "#/$defs/region", "x-mcp-header": "V" } }, /no type$/],
  ];
  for (const [label, properties, expected] of cases) {
    assert.match(reason(toolHeaderPlan(tool(properties))), expected, label);
  }
});

Deno.test("toolHeaderPlan() rejects annotations not statically reachable through properties", () => {
  const annotated = { type: "string", "x-mcp-header": "Hidden" };
  const cases: [string, Record<string, unknown>][] = [
    ["items", { list: { type: "array", items: { type: "object", properties: { v: annotated } } } }],
    ["items itself", { list: { type: "array", items: annotated } }],
    ["prefixItems", { list: { type: "array", prefixItems: [annotated] } }],
    ["contains", { list: { type: "array", contains: annotated } }],
    ["additionalProperties", { map: { type: "object", additionalProperties: annotated } }],
    ["patternProperties", { map: { type: "object", patternProperties: { "^x": annotated } } }],
    ["oneOf", { v: { oneOf: [annotated, { type: "integer" }] } }],
    ["anyOf", { v: { anyOf: [{ type: "object", properties: { w: annotated } }] } }],
    ["allOf", { v: { allOf: [annotated] } }],
    ["not", { v: { not: annotated } }],
    ["if", { v: { if: annotated } }],
    ["then", { v: { then: { properties: { w: annotated } } } }],
    ["else", { v: { else: annotated } }],
    ["dependentSchemas", {
      v: { type: "object", dependentSchemas: { a: { properties: { w: annotated } } } },
    }],
    ["unevaluatedProperties", { v: { type: "object", unevaluatedProperties: annotated } }],
    ["propertyNames", { v: { type: "object", propertyNames: annotated } }],
  ];
  for (const [label, properties] of cases) {
    assert.match(
      reason(toolHeaderPlan(tool(properties))),
      /^An x-mcp-header is not reachable through properties alone: /,
      label,
    );
  }
});

Deno.test("toolHeaderPlan() rejects annotations at the root, in root $defs or in root composition keywords", () => {
  const annotated = { type: "string", "x-mcp-header": "Hidden" };
  assert.match(
    reason(toolHeaderPlan({ name: "t", inputSchema: { type: "object", "x-mcp-header": "Root" } })),
    /on the schema root/,
  );
  assert.equal(
    reason(toolHeaderPlan(tool({ r: { $ref: "#/$defs/r" } }, { $defs: { r: annotated } }))),
    "An x-mcp-header is not reachable through properties alone: $defs.r",
  );
  assert.equal(
    reason(toolHeaderPlan(tool({}, { definitions: { r: annotated } }))),
    "An x-mcp-header is not reachable through properties alone: definitions.r",
  );
  assert.equal(
    reason(toolHeaderPlan(tool({}, { oneOf: [{ properties: { a: annotated } }] }))),
    "An x-mcp-header is not reachable through properties alone: oneOf[0].properties.a",
  );
  assert.equal(
    reason(toolHeaderPlan(tool({ deep: { type: "object", properties: { list: { items: annotated } } } }))),
    "An x-mcp-header is not reachable through properties alone: deep.list.items",
  );
});

Deno.test("toolHeaderPlan() accepts unannotated composition keywords next to valid annotations", () => {
  const plan = toolHeaderPlan(tool(
    {
      region: { type: "string", "x-mcp-header": "Region" },
      mode: { oneOf: [{ const: "a" }, { const: "b" }] },
    },
    { $defs: { unused: { type: "string" } }, allOf: [{ required: ["region"] }] },
  ));
  assert.equal(params(plan).length, 1);
});

Deno.test("filterToolsResult() removes only invalid tools and keeps the rest untouched and in order", () => {
  const a = tool({ r: { type: "string", "x-mcp-header": "R" } }, {}, "a");
  const bad = tool({ r: { type: "number", "x-mcp-header": "R" } }, {}, "bad");
  const b = tool({ q: { type: "string" } }, {}, "b");
  const bad2 = tool({ r: { type: "string", "x-mcp-header": "" } }, {}, "bad2");
  const c = tool({ n: { type: "integer", "x-mcp-header": "N" } }, {}, "c");
  const input = { tools: [a, bad, b, bad2, c], nextCursor: "next", ttlMs: 0, _meta: { x: 1 } };
  const { result, removed, plans } = filterToolsResult(input);
  assert.deepEqual(result, { tools: [a, b, c], nextCursor: "next", ttlMs: 0, _meta: { x: 1 } });
  assert.equal(result.tools?.[0], a);
  assert.deepEqual(removed.map((r) => r.name), ["bad", "bad2"]);
  assert.match(removed[0]!.reason, /type "number"/);
  assert.deepEqual([...plans.keys()], ["a", "b", "c"]);
  assert.deepEqual(plans.get("b"), { ok: true, params: [] });
  assert.equal(input.tools.length, 5, "the input is not modified");
});

Deno.test("filterToolsResult() keeps entries without a name but gives them no plan", () => {
  const odd = { inputSchema: { type: "object" } };
  const { result, plans } = filterToolsResult({ tools: [odd, "weird"] });
  assert.deepEqual(result.tools, [odd, "weird"]);
  assert.equal(plans.size, 0);
});

Deno.test("filterToolsResult() reports an unnamed invalid tool with an empty name", () => {
  const { removed } = filterToolsResult({
    tools: [{ inputSchema: { properties: { a: { "x-mcp-header": "" } } } }],
  });
  assert.equal(removed[0]?.name, "");
});

Deno.test("filterToolsResult() passes a result without a tools array through", () => {
  const input = { nextCursor: "x" } as { tools?: unknown[]; nextCursor: string };
  const { result, removed, plans } = filterToolsResult(input);
  assert.equal(result, input);
  assert.deepEqual(removed, []);
  assert.equal(plans.size, 0);
});

const PLAN = toolHeaderPlan(tool({
  region: { type: "string", "x-mcp-header": "Region" },
  priority: { type: "integer", "x-mcp-header": "Priority" },
  verbose: { type: "boolean", "x-mcp-header": "Verbose" },
  method: { type: "string", "x-mcp-header": "Method" },
  nested: { type: "object", properties: { tenant: { type: "string", "x-mcp-header": "Tenant" } } },
  query: { type: "string" },
}));

Deno.test("paramHeaders() mirrors annotated values: strings as-is, integers in decimal, booleans lowercase", () => {
  assert.deepEqual(
    paramHeaders(PLAN, { region: "us-west1", priority: -7, verbose: false, query: "SELECT 1" }),
    [["Mcp-Param-Region", "us-west1"], ["Mcp-Param-Priority", "-7"], ["Mcp-Param-Verbose", "false"]],
  );
  assert.deepEqual(paramHeaders(PLAN, { verbose: true, priority: 42 }), [
    ["Mcp-Param-Priority", "42"],
    ["Mcp-Param-Verbose", "true"],
  ]);
});

Deno.test("paramHeaders() names the header Mcp-Param-<annotation>, even for Method", () => {
  assert.deepEqual(paramHeaders(PLAN, { method: "GET" }), [["Mcp-Param-Method", "GET"]]);
});

Deno.test("paramHeaders() reads nested values at the exact property path", () => {
  assert.deepEqual(paramHeaders(PLAN, { nested: { tenant: "acme" } }), [["Mcp-Param-Tenant", "acme"]]);
  assert.deepEqual(paramHeaders(PLAN, { nested: null }), []);
  assert.deepEqual(paramHeaders(PLAN, { nested: "acme" }), []);
  assert.deepEqual(paramHeaders(PLAN, { "nested.tenant": "acme" }), []);
});

Deno.test("paramHeaders() leaves out absent and null values", () => {
  assert.deepEqual(paramHeaders(PLAN, { region: null, priority: undefined }), []);
  assert.deepEqual(paramHeaders(PLAN, {}), []);
  assert.deepEqual(paramHeaders(PLAN, undefined), []);
});

Deno.test("paramHeaders() encodes unsafe strings with the Base64 sentinel", () => {
  assert.deepEqual(paramHeaders(PLAN, { region: "Hello, 世界" }), [[
    "Mcp-Param-Region",
    "=?base64?SGVsbG8sIOS4lueVjA==?=",
  ]]);
  assert.deepEqual(paramHeaders(PLAN, { region: "line1\nline2" }), [[
    "Mcp-Param-Region",
    "=?base64?bGluZTEKbGluZTI=?=",
  ]]);
  assert.deepEqual(paramHeaders(PLAN, { region: "=?base64?literal?=" }), [
    ["Mcp-Param-Region", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="],
  ]);
});

Deno.test("paramHeaders() leaves out objects, arrays, non-finite numbers and unsafe integers", () => {
  assert.deepEqual(paramHeaders(PLAN, { region: { a: 1 }, priority: [1] }), []);
  assert.deepEqual(paramHeaders(PLAN, { priority: Number.NaN }), []);
  assert.deepEqual(paramHeaders(PLAN, { priority: 2 ** 53 }), []);
  assert.deepEqual(paramHeaders(PLAN, { priority: Number.MAX_SAFE_INTEGER }), [[
    "Mcp-Param-Priority",
    "9007199254740991",
  ]]);
});

Deno.test("paramHeaders() sends mistyped primitives as text so the server can judge them", () => {
  assert.deepEqual(paramHeaders(PLAN, { priority: "high", verbose: 1 }), [
    ["Mcp-Param-Priority", "high"],
    ["Mcp-Param-Verbose", "1"],
  ]);
});

Deno.test("paramHeaders() gives nothing for an invalid plan", () => {
  assert.deepEqual(paramHeaders({ ok: false, reason: "bad" }, { region: "x" }), []);
});

Deno.test("paramHeaders() output can be set on a Headers object", () => {
  const headers = new Headers(paramHeaders(PLAN, { region: "Zürich\r\nX-Evil: 1", priority: 1 }));
  assert.equal(headers.get("mcp-param-priority"), "1");
  assert.match(headers.get("mcp-param-region")!, /^=\?base64\?/);
  assert.equal(headers.get("x-evil"), null);
});
