import assert from "node:assert/strict";
import { parseSize } from "../../src/cli/size.ts";

Deno.test("parseSize() reads plain numbers as bytes", () => {
  assert.equal(parseSize("0"), 0);
  assert.equal(parseSize("1048576"), 1048576);
  assert.equal(parseSize(" 12b "), 12);
});

Deno.test("parseSize() reads binary units, with or without i and B", () => {
  for (const text of ["64MiB", "64MB", "64M", "64m", "64 mib"]) {
    assert.equal(parseSize(text), 64 * 1024 ** 2, text);
  }
  assert.equal(parseSize("512KiB"), 512 * 1024);
  assert.equal(parseSize("1GiB"), 1024 ** 3);
  assert.equal(parseSize("0.5k"), 512);
});

Deno.test("parseSize() refuses what is not a size, quoting it", () => {
  for (const text of ["", "MiB", "-1", "1TiB", "1 2", "64 MiBs", "abc"]) {
    assert.throws(
      () => parseSize(text),
      new RegExp(`Cannot parse size "${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`),
    );
  }
});
