/**
 * Plain-text tables for `mcp-bridge client`. Pure.
 *
 * @module
 */

/**
 * Formats rows as an aligned table with a header row; cells are cut at `maxWidth` characters and
 * line breaks inside cells become spaces.
 *
 * @example Usage
 * ```ts
 * import { formatTable } from "./table.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTable(["name", "x"], [["echo", "1"]]), "name  x\n----  -\necho  1\n");
 * ```
 *
 * @param header The column titles.
 * @param rows The cells.
 * @param maxWidth The widest a cell may be.
 * @returns The table, ending with a newline.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  maxWidth = 60,
): string {
  const clean = (cell: string) => {
    const flat = cell.replace(/\s+/g, " ").trim();
    // Cut by code points, never inside a surrogate pair.
    const points = Array.from(flat);
    return points.length > maxWidth ? `${points.slice(0, maxWidth - 1).join("")}…` : flat;
  };
  const all = [header.map(clean), ...rows.map((row) => header.map((_, i) => clean(row[i] ?? "")))];
  const width = (cell: string) => Array.from(cell).length;
  const widths = header.map((_, i) => Math.max(...all.map((row) => width(row[i]!))));
  const line = (row: string[]) =>
    row.map((cell, i) => cell + " ".repeat(widths[i]! - width(cell))).join("  ").trimEnd();
  return [line(all[0]!), line(widths.map((w) => "-".repeat(w))), ...all.slice(1).map(line)].join("\n") + "\n";
}
