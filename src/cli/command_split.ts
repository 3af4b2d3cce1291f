/**
 * Splitting a command given as one flag value into a program and its arguments, without a shell.
 *
 * @module
 */

/**
 * Splits a `--header-command` into a program and its arguments, with double or single quotes for an
 * argument that holds spaces; no shell, no expansion.
 *
 * @example Usage
 * ```ts
 * import { splitCommand } from "./command_split.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(splitCommand(`op read "op://vault/mcp token/credential"`), ["op", "read", "op://vault/mcp token/credential"]);
 * ```
 *
 * @param text The command as given.
 * @returns The program and its arguments.
 * @throws {TypeError} When it is empty or a quote is not closed.
 */
export function splitCommand(text: string): string[] {
  const argv: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|([^\s"']+)/g;
  for (const match of text.matchAll(pattern)) argv.push(match[1] ?? match[2] ?? match[3]!);
  if (/["']/.test(text.replace(pattern, ""))) {
    throw new TypeError(`Cannot use --header-command: a quote is not closed in "${text}"`);
  }
  if (argv.length === 0) throw new TypeError("Cannot use --header-command: it is empty");
  return argv;
}
