import assert from "node:assert/strict";
import { isModernVersion, LEGACY_VERSIONS, MODERN_VERSION, pickVersion } from "../../src/era/versions.ts";

Deno.test("MODERN_VERSION and LEGACY_VERSIONS name the known versions, newest legacy first", () => {
  assert.equal(MODERN_VERSION, "2026-07-28");
  assert.deepEqual([...LEGACY_VERSIONS], ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
  assert.ok(Object.isFrozen(LEGACY_VERSIONS));
});

Deno.test("isModernVersion() is true for 2026-07-28 and later dates only", () => {
  assert.equal(isModernVersion("2026-07-28"), true);
  assert.equal(isModernVersion("2026-12-01"), true);
  assert.equal(isModernVersion("2030-01-01"), true);
  for (const version of [...LEGACY_VERSIONS, "2026-07-27", "2026-01-26"]) {
    assert.equal(isModernVersion(version), false, version);
  }
});

Deno.test("isModernVersion() is false for strings that are not dates", () => {
  for (const version of ["", "DRAFT-2026-v1", "2026-7-28", "2026-07-28x", "9999", "latest"]) {
    assert.equal(isModernVersion(version), false, version);
  }
});

Deno.test("pickVersion() picks the newest common version by date, whatever the list orders", () => {
  assert.equal(
    pickVersion(["2025-06-18", "2026-07-28", "2025-11-25"], ["2025-11-25", "2026-07-28"]),
    "2026-07-28",
  );
  assert.equal(pickVersion(["2024-11-05", "2025-03-26"], [...LEGACY_VERSIONS].reverse()), "2025-03-26");
  assert.equal(pickVersion(["2026-07-28", "2025-11-25"], ["2025-11-25"]), "2025-11-25");
});

Deno.test("pickVersion() gives undefined when nothing is shared or a list is empty", () => {
  assert.equal(pickVersion(["2027-01-01"], [MODERN_VERSION]), undefined);
  assert.equal(pickVersion([], [MODERN_VERSION]), undefined);
  assert.equal(pickVersion([MODERN_VERSION], []), undefined);
});

Deno.test("pickVersion() compares exactly, without trimming or case folding", () => {
  assert.equal(pickVersion([" 2026-07-28"], ["2026-07-28"]), undefined);
  assert.equal(pickVersion(["DRAFT"], ["draft"]), undefined);
});

Deno.test("pickVersion() prefers any shared date over an undated version, else the first undated one", () => {
  assert.equal(pickVersion(["DRAFT", "2025-11-25"], ["DRAFT", "2025-11-25"]), "2025-11-25");
  assert.equal(pickVersion(["B", "A"], ["A", "B"]), "A");
});
