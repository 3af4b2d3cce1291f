import assert from "node:assert/strict";
import { MAX_CURSOR_CHARS, MAX_PAGES, Pagination } from "../../src/jsonrpc/pagination.ts";

Deno.test("Pagination follows cursors until a page has none", () => {
  const pages = new Pagination("tools/list");
  assert.equal(pages.next({ nextCursor: "a" }), "a");
  assert.equal(pages.next({ nextCursor: "b" }), "b");
  assert.equal(pages.next({}), undefined);
  assert.equal(new Pagination("x").next(undefined), undefined);
  assert.equal(new Pagination("x").next({ nextCursor: "" }), undefined);
  assert.equal(new Pagination("x").next({ nextCursor: 7 }), undefined);
});

Deno.test("Pagination ends a listing whose server repeats a cursor", () => {
  const pages = new Pagination("tools/list from example.com");
  pages.next({ nextCursor: "a" });
  pages.next({ nextCursor: "b" });
  assert.throws(
    () => pages.next({ nextCursor: "a" }),
    /Cannot finish tools\/list from example.com: .*repeated a cursor/,
  );
});

Deno.test("Pagination ends a listing that never stops, at the page limit", () => {
  const pages = new Pagination("resources/list", 5);
  for (let i = 1; i < 5; i++) assert.equal(pages.next({ nextCursor: `c${i}` }), `c${i}`);
  assert.throws(() => pages.next({ nextCursor: "c5" }), /past 5 pages/);
  assert.equal(MAX_PAGES, 1000);
});

Deno.test("Pagination refuses a cursor longer than MAX_CURSOR_CHARS, so cursors cost little memory", () => {
  const pages = new Pagination("tools/list");
  assert.equal(pages.next({ nextCursor: "c".repeat(MAX_CURSOR_CHARS) }), "c".repeat(MAX_CURSOR_CHARS));
  assert.throws(
    () => pages.next({ nextCursor: "c".repeat(MAX_CURSOR_CHARS + 1) }),
    /a cursor of 4097 characters/,
  );
});
