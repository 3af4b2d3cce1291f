import assert from "node:assert/strict";
import { StreamCutError } from "../../src/transport/modern_http.ts";
import { modernResend } from "../../src/transport/modern_resend.ts";
import { TransportError } from "../../src/transport/transport.ts";

const refused = new TransportError("Cannot reach a: Connection refused", { unreachable: true });
const broke = new TransportError("broke after sending", { outcomeUnknown: true });
const page = (status: number) => new TransportError(`HTTP ${status}`, { status });

Deno.test("modernResend(): a response stream cut before the response is re-issued, whatever the method (2026-07-28)", () => {
  for (const method of ["tools/call", "tools/list", "subscriptions/listen", "prompts/get"]) {
    assert.deepEqual(modernResend(new StreamCutError("a"), method, true), { action: "reissue" }, method);
  }
});

Deno.test("modernResend(): a request that never reached the server waits and goes again under its own id", () => {
  assert.deepEqual(modernResend(refused, "tools/call", true), { action: "wait", newId: false });
  assert.deepEqual(modernResend(refused, "subscriptions/listen", true), { action: "wait", newId: false });
});

Deno.test("modernResend(): nothing is waited for before the server answered once", () => {
  assert.deepEqual(modernResend(refused, "tools/call", false), { action: "fail" });
  assert.deepEqual(modernResend(page(503), "tools/list", false), { action: "fail" });
});

Deno.test("modernResend(): a request the server may have seen goes again only if it reads, under a new id", () => {
  assert.deepEqual(modernResend(broke, "tools/call", true), { action: "fail" });
  assert.deepEqual(modernResend(broke, "tools/list", true), { action: "wait", newId: true });
  assert.deepEqual(modernResend(broke, "resources/read", true), { action: "wait", newId: true });
  assert.deepEqual(modernResend(broke, "subscriptions/listen", true), { action: "wait", newId: true });
  assert.deepEqual(modernResend(page(502), "tools/call", true), { action: "fail" });
  assert.deepEqual(modernResend(page(504), "prompts/get", true), { action: "wait", newId: true });
});

Deno.test("modernResend(): a gateway's 503 is waited out for any request", () => {
  assert.deepEqual(modernResend(page(503), "tools/call", true), { action: "wait", newId: true });
});

Deno.test("modernResend(): answers and permanent failures go to the host", () => {
  const own = new TransportError("HTTP 503", {
    status: 503,
    serverResponse: '{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"busy"}}',
  });
  for (
    const error of [
      page(500),
      page(400),
      own,
      new TransportError("certificate", { permanent: true, unreachable: true }),
      new TransportError("too large", { tooLarge: true }),
      new Error("not a transport error"),
    ]
  ) {
    assert.deepEqual(modernResend(error, "tools/list", true), { action: "fail" }, error.message);
  }
});
