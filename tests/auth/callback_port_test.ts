import assert from "node:assert/strict";
import { callbackPortCandidates, defaultCallbackPort } from "../../src/auth/callback_port.ts";
import { AuthError } from "../../src/auth/errors.ts";

const KEY = "0123456789abcdef0123456789abcdef";

Deno.test("defaultCallbackPort() is deterministic", () => {
  assert.equal(defaultCallbackPort(KEY), defaultCallbackPort(KEY));
  assert.equal(defaultCallbackPort(KEY), defaultCallbackPort(KEY.slice()));
});

Deno.test("defaultCallbackPort() stays within 30000..49999", () => {
  for (let i = 0; i < 2000; i++) {
    const port = defaultCallbackPort(i.toString(16).padStart(32, "0"));
    assert.ok(port >= 30000 && port <= 49999, String(port));
    assert.ok(Number.isInteger(port));
  }
  const empty = defaultCallbackPort("");
  assert.ok(empty >= 30000 && empty <= 49999);
});

Deno.test("defaultCallbackPort() spreads keys over the range", () => {
  const ports = new Set<number>();
  for (let i = 0; i < 200; i++) ports.add(defaultCallbackPort(`key-${i}`));
  assert.ok(ports.size > 190, String(ports.size));
  assert.notEqual(defaultCallbackPort("a"), defaultCallbackPort("b"));
});

Deno.test("callbackPortCandidates() gives the default port, then the 9 after it", () => {
  const first = defaultCallbackPort(KEY);
  const ports = callbackPortCandidates(KEY);
  assert.equal(ports.length, 10);
  assert.equal(ports[0], first);
  assert.equal(new Set(ports).size, 10);
  for (const port of ports) assert.ok(port >= 30000 && port <= 49999);
  if (first <= 49990) assert.deepEqual(ports, Array.from({ length: 10 }, (_, i) => first + i));
});

Deno.test("callbackPortCandidates() wraps from 49999 to 30000", () => {
  let key: string | undefined;
  for (let i = 0; key === undefined; i++) {
    if (defaultCallbackPort(`k${i}`) > 49994) key = `k${i}`;
  }
  const ports = callbackPortCandidates(key);
  const first = ports[0];
  const expected = Array.from({ length: 10 }, (_, i) => first + i > 49999 ? first + i - 20000 : first + i);
  assert.deepEqual(ports, expected);
  assert.ok(ports.includes(30000));
  assert.ok(ports.includes(49999));
});

Deno.test("callbackPortCandidates() uses only an explicit port", () => {
  assert.deepEqual(callbackPortCandidates(KEY, 8080), [8080]);
  assert.deepEqual(callbackPortCandidates(KEY, 1), [1]);
  assert.deepEqual(callbackPortCandidates(KEY, 65535), [65535]);
});

Deno.test("callbackPortCandidates() refuses an explicit port out of range, naming it", () => {
  for (const port of [0, -1, 65536, 1.5, NaN]) {
    assert.throws(
      () => callbackPortCandidates(KEY, port),
      (error: unknown) => error instanceof AuthError && error.message.includes(`port ${port}`),
      String(port),
    );
  }
});
