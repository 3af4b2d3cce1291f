import assert from "node:assert/strict";
import {
  Brakes,
  MAX_SIGN_INS_PER_MINUTE,
  MAX_STEP_UPS,
  MAX_TOKEN_REQUESTS_PER_MINUTE,
} from "../../src/auth/brakes.ts";
import { AuthError } from "../../src/auth/errors.ts";

Deno.test("Brakes: sign-ins and token requests are limited per minute, each on its own, and released as the minute passes", () => {
  let now = 1_000_000;
  const brakes = new Brakes(() => now);
  for (let i = 0; i < MAX_SIGN_INS_PER_MINUTE; i++) brakes.use("sign-in");
  const refused = (() => {
    try {
      brakes.use("sign-in");
    } catch (error) {
      return error;
    }
  })();
  assert.ok(refused instanceof AuthError && refused.braked === true, "past the limit: a braked AuthError");
  for (let i = 0; i < MAX_TOKEN_REQUESTS_PER_MINUTE; i++) brakes.use("token request");
  assert.throws(() => brakes.use("token request"), /Stopped after 12 token requests within a minute/);
  now += 60_001;
  brakes.use("sign-in");
  brakes.use("token request");
});

Deno.test("Brakes: step-ups are limited per operation, not overall", () => {
  const brakes = new Brakes(() => 0);
  for (let i = 0; i < MAX_STEP_UPS; i++) brakes.stepUp("tools/call admin", "admin");
  assert.throws(
    () => brakes.stepUp("tools/call admin", "admin"),
    /still refuses tools\/call admin for lack of scope after 3 re-authorizations \(it asks for "admin"\)/,
  );
  brakes.stepUp("tools/call other", undefined);
});
