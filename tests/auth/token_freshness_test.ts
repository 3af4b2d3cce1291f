import assert from "node:assert/strict";
import { isUsable, REFRESH_MARGIN_MS } from "../../src/auth/token_freshness.ts";

const token = (obtained: number, expires?: number) => ({
  access_token: "a",
  token_type: "Bearer",
  obtained_at: obtained,
  ...(expires !== undefined ? { expires_at: expires } : {}),
});

Deno.test("isUsable: a token without a known expiry is used; an hour-long one until a minute before its end", () => {
  assert.equal(isUsable(token(0), 10 ** 12), true);
  const hour = token(0, 3_600_000);
  assert.equal(isUsable(hour, 3_600_000 - REFRESH_MARGIN_MS - 1), true);
  assert.equal(isUsable(hour, 3_600_000 - REFRESH_MARGIN_MS), false);
  assert.equal(isUsable(undefined, 0), false);
});

Deno.test("isUsable: a short-lived token is refreshed a fifth of its lifetime early", () => {
  const tenSeconds = token(0, 10_000);
  assert.equal(isUsable(tenSeconds, 7_999), true);
  assert.equal(isUsable(tenSeconds, 8_000), false);
});
