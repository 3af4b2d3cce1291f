import assert from "node:assert/strict";
import { excerpt } from "../../src/log/excerpt.ts";

Deno.test("excerpt() keeps short text whole and cuts long text between words", () => {
  assert.equal(excerpt("short", 10), "short");
  assert.equal(excerpt("one two three four", 8), "one two …");
});

Deno.test("excerpt() drops a token cut at the edge whole, so no part of it is shown", () => {
  const token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const cut = excerpt(`invalid credential ${token} for this resource`, 30);
  assert.equal(cut, "invalid credential …");
  assert.ok(!cut.includes(token.slice(0, 5)));
});
