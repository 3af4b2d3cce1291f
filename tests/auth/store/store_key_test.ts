import assert from "node:assert/strict";
import { storeKey } from "../../../src/auth/store/store_key.ts";

const BASE = {
  serverUrl: "https://mcp.example/mcp",
  resource: "https://mcp.example/mcp",
  headers: [{ name: "Authorization", template: "Bearer ${TOKEN}" }, { name: "X-Team", template: "t1" }],
  authorizeParams: [["prompt", "consent"]] as [string, string][],
  clientMetadataUrl: "https://app.example/client.json",
};

Deno.test("storeKey() gives 32 lower-case hex characters", async () => {
  assert.match(await storeKey(BASE), /^[0-9a-f]{32}$/);
  assert.match(await storeKey({ serverUrl: "https://mcp.example/mcp" }), /^[0-9a-f]{32}$/);
});

Deno.test("storeKey() gives the same key for the same inputs", async () => {
  assert.equal(await storeKey(BASE), await storeKey(structuredClone(BASE)));
});

Deno.test("storeKey() ignores header order and header name case", async () => {
  const key = await storeKey(BASE);
  assert.equal(await storeKey({ ...BASE, headers: [...BASE.headers].reverse() }), key);
  assert.equal(
    await storeKey({
      ...BASE,
      headers: [{ name: "x-team", template: "t1" }, { name: "AUTHORIZATION", template: "Bearer ${TOKEN}" }],
    }),
    key,
  );
});

Deno.test("storeKey() ignores authorize parameter order", async () => {
  const a = await storeKey({ ...BASE, authorizeParams: [["a", "1"], ["b", "2"]] });
  const b = await storeKey({ ...BASE, authorizeParams: [["b", "2"], ["a", "1"]] });
  assert.equal(a, b);
});

Deno.test("storeKey() changes with every part", async () => {
  const key = await storeKey(BASE);
  const variants = [
    { ...BASE, serverUrl: "https://mcp.example/mcp2" },
    { ...BASE, resource: "https://mcp.example/" },
    { ...BASE, resource: null },
    { ...BASE, resource: undefined },
    { ...BASE, headers: [] },
    { ...BASE, headers: [BASE.headers[0], { name: "X-Team", template: "t2" }] },
    { ...BASE, headers: [BASE.headers[0], { name: "X-Other", template: "t1" }] },
    { ...BASE, authorizeParams: [] },
    { ...BASE, authorizeParams: [["prompt", "login"]] as [string, string][] },
    { ...BASE, clientMetadataUrl: undefined },
    { ...BASE, clientMetadataUrl: "https://app.example/other.json" },
  ];
  const keys = new Set([key]);
  for (const variant of variants) keys.add(await storeKey(variant));
  assert.equal(keys.size, variants.length + 1);
});

Deno.test("storeKey() tells the default resource from a disabled one", async () => {
  const serverUrl = "https://mcp.example/mcp";
  assert.notEqual(await storeKey({ serverUrl }), await storeKey({ serverUrl, resource: null }));
  assert.equal(await storeKey({ serverUrl, resource: "" }), await storeKey({ serverUrl, resource: null }));
});

Deno.test("storeKey() hashes the header template text as given", async () => {
  // The caller passes templates; a literal value is different text, so a different key.
  const withTemplate = await storeKey({
    ...BASE,
    headers: [{ name: "Authorization", template: "Bearer ${TOKEN}" }],
  });
  const withValue = await storeKey({
    ...BASE,
    headers: [{ name: "Authorization", template: "Bearer s3cret" }],
  });
  assert.notEqual(withTemplate, withValue);
});

Deno.test("storeKey() does not confuse parts that concatenate the same", async () => {
  const a = await storeKey({ serverUrl: "https://h/mcp", headers: [{ name: "a", template: "bc" }] });
  const b = await storeKey({ serverUrl: "https://h/mcp", headers: [{ name: "ab", template: "c" }] });
  assert.notEqual(a, b);
});

Deno.test("storeKey() treats URL spellings the parser equates as one server", async () => {
  assert.equal(
    await storeKey({ serverUrl: "HTTPS://MCP.Example:443/mcp" }),
    await storeKey({ serverUrl: "https://mcp.example/mcp" }),
  );
  assert.notEqual(
    await storeKey({ serverUrl: "https://mcp.example/MCP" }),
    await storeKey({ serverUrl: "https://mcp.example/mcp" }),
  );
});
