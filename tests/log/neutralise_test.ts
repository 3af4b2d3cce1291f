import assert from "node:assert/strict";
import { neutralise } from "../../src/log/neutralise.ts";

Deno.test("neutralise() keeps ordinary text, tabs and non-ASCII letters as they are", () => {
  const text = 'Tool "café" failed:\tsee https://example.com/ü — 東京 🚀';
  assert.equal(neutralise(text), text);
});

Deno.test("neutralise() makes ESC, CSI and OSC sequences visible", () => {
  assert.equal(neutralise("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
  assert.equal(
    neutralise("\x1b]8;;https://evil.example\x07click\x1b]8;;\x07"),
    "\\x1b]8;;https://evil.example\\x07click\\x1b]8;;\\x07",
  );
  assert.equal(neutralise("\x1b]0;pwned title\x1b\\"), "\\x1b]0;pwned title\\x1b\\");
});

Deno.test("neutralise() escapes C0 controls except tab, DEL and C1 controls (the one-byte CSI)", () => {
  assert.equal(neutralise("a\x00b\x08c\x7fd\x9b31me\x85f"), "a\\x00b\\x08c\\x7fd\\x9b31me\\x85f");
  for (let code = 0; code < 0xa0; code++) {
    if (code === 0x09 || (code >= 0x20 && code < 0x7f)) continue;
    const out = neutralise(`x${String.fromCharCode(code)}y`, "<br>");
    assert.ok(
      ![...out].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) < 0xa0)),
      `U+${code.toString(16)} survived: ${JSON.stringify(out)}`,
    );
  }
});

Deno.test("neutralise() escapes a lone CR, which would overwrite the line", () => {
  assert.equal(neutralise("real error\r[mcp-bridge] all good"), "real error\\r[mcp-bridge] all good");
});

Deno.test("neutralise() turns LF and CRLF into the given line break", () => {
  assert.equal(neutralise("one\ntwo\r\nthree"), "one\\ntwo\\nthree");
  assert.equal(neutralise("one\ntwo\r\nthree", "\n    "), "one\n    two\n    three");
  assert.equal(neutralise("a\nb", " "), "a b");
});

Deno.test("neutralise() escapes bidi overrides and isolates, and line separators", () => {
  assert.equal(neutralise("abc\u202edcba\u202c"), "abc\\u202edcba\\u202c");
  for (
    const code of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x2028, 0x2029]
  ) {
    assert.equal(neutralise(String.fromCharCode(code)), `\\u${code.toString(16)}`);
  }
});

Deno.test("neutralise() returns the same string when there is nothing to do", () => {
  const text = "x".repeat(10_000);
  assert.equal(neutralise(text), text);
});
