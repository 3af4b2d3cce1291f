import assert from "node:assert/strict";
import { formatTable } from "../../src/client/table.ts";

Deno.test("formatTable() aligns columns under a header and a dash row", () => {
  assert.equal(
    formatTable(["name", "description"], [["echo", "Echoes text"], ["countdown", "Counts"]]),
    "name       description\n" +
      "---------  -----------\n" +
      "echo       Echoes text\n" +
      "countdown  Counts\n",
  );
});

Deno.test("formatTable() formats the documented example", () => {
  assert.equal(formatTable(["name", "x"], [["echo", "1"]]), "name  x\n----  -\necho  1\n");
});

Deno.test("formatTable() prints only the header for no rows", () => {
  assert.equal(formatTable(["name", "x"], []), "name  x\n----  -\n");
});

Deno.test("formatTable() trims trailing spaces of each line", () => {
  const text = formatTable(["a", "b"], [["long value", ""]]);
  assert.equal(text, "a           b\n----------  -\nlong value\n");
  for (const line of text.split("\n")) assert.equal(line, line.trimEnd());
});

Deno.test("formatTable() turns line breaks and runs of whitespace into one space", () => {
  assert.equal(
    formatTable(["d"], [["  first\nsecond\r\n\tthird  "]]),
    "d\n------------------\nfirst second third\n",
  );
});

Deno.test("formatTable() cuts cells longer than maxWidth with an ellipsis", () => {
  assert.equal(formatTable(["d"], [["abcdefghij"]], 5), "d\n-----\nabcd…\n");
  assert.equal(formatTable(["d"], [["abcde"]], 5), "d\n-----\nabcde\n");
});

Deno.test("formatTable() cuts at 60 characters by default", () => {
  const row = formatTable(["d"], [["x".repeat(100)]]).split("\n")[2]!;
  assert.equal(row, "x".repeat(59) + "…");
});

Deno.test("formatTable() cuts header cells too", () => {
  assert.equal(formatTable(["description"], [["x"]], 4), "des…\n----\nx\n");
});

Deno.test("formatTable() fills missing cells and ignores extra ones", () => {
  assert.equal(formatTable(["a", "b"], [["1"], ["2", "3", "extra"]]), "a  b\n-  -\n1\n2  3\n");
});

Deno.test({
  name: "formatTable() does not split a surrogate pair when cutting a cell",
  fn() {
    const row = formatTable(["t"], [["😀".repeat(40)]], 60).split("\n")[2]!;
    assert.equal(row.isWellFormed(), true);
  },
});
