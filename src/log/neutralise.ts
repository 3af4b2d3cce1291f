/**
 * Terminal hygiene: makes text safe to print on a terminal or write to a log file that someone
 * will `cat`. Server-supplied text (error bodies, issuers, tool names, device-flow URIs) may carry
 * escape sequences that clear the screen, set the window title, plant OSC 8 hyperlinks, or a
 * carriage return that overwrites the line with a fake one. Pure.
 *
 * @module
 */

// C0 controls except tab, DEL, C1 controls (U+0080–U+009F, among them the one-byte CSI U+009B),
// the Arabic letter mark, LRM/RLM, the line and paragraph separators, and the bidi embeddings,
// overrides and isolates (U+202A–U+202E, U+2066–U+2069). CRLF is one line break.
// deno-lint-ignore no-control-regex
const UNSAFE = /\r\n|[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
// deno-lint-ignore no-control-regex
const ANY_UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;

const NAMED: Record<string, string> = { "\r": "\\r", "\u001b": "\\x1b" };

function escapeChar(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Replaces control characters, escape sequence introducers and bidi controls with visible escapes
 * (`\x1b`, `\x07`, `\x9b`, `\r`, `\u202e`), so that the text prints as what it is. A line break
 * (LF or CRLF) becomes `lineBreak`: by default the visible `\n`; the logger passes a newline plus
 * an indent so that a message keeps its lines but cannot start a line that looks like its own.
 * A lone CR (which returns to the start of the line and overwrites it) is always escaped. Tabs and
 * all other text, non-ASCII letters and emoji included, are kept.
 *
 * @example Usage
 * ```ts
 * import { neutralise } from "./neutralise.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(neutralise("a\x1b[2Jb\x07"), "a\\x1b[2Jb\\x07");
 * assert.equal(neutralise("ok\rFAKE"), "ok\\rFAKE");
 * assert.equal(neutralise("one\ntwo", "\n  "), "one\n  two");
 * assert.equal(neutralise("plain text, tabs\tand ünïcødé"), "plain text, tabs\tand ünïcødé");
 * ```
 *
 * @param text The text, possibly from a hostile server.
 * @param lineBreak What a line break becomes (default: the visible two characters `\n`).
 * @returns The text with nothing a terminal would interpret.
 */
export function neutralise(text: string, lineBreak = "\\n"): string {
  if (!ANY_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (char) => (char === "\n" || char === "\r\n" ? lineBreak : escapeChar(char)));
}
