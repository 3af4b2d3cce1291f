/**
 * How `mcp-bridge doctor` shows its steps: aligned columns for a terminal (coloured only when asked),
 * or one JSON document. Pure.
 *
 * @module
 */

import { type Step, type StepStatus, usable } from "./step.ts";

/** Options for {@linkcode renderSteps}. */
export interface RenderOptions {
  /** ANSI colours (only for a terminal with `NO_COLOR` unset; see {@linkcode useColour}). */
  colour: boolean;
}

const COLOURS: Record<StepStatus, string> = { ok: "32", warn: "33", fail: "31", skip: "2" };

/**
 * Whether to colour the output: stdout is a terminal and `NO_COLOR` is unset (or empty).
 *
 * @example Usage
 * ```ts
 * import { useColour } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(useColour(true, undefined), true);
 * assert.equal(useColour(true, "1"), false);
 * assert.equal(useColour(false, undefined), false);
 * ```
 *
 * @param isTerminal Whether stdout is a terminal.
 * @param noColour The value of `NO_COLOR` (`undefined` when unset or unreadable).
 * @returns Whether to colour.
 */
export function useColour(isTerminal: boolean, noColour: string | undefined): boolean {
  return isTerminal && (noColour === undefined || noColour === "");
}

/**
 * Renders the steps as aligned columns (status, name, detail), each "next" on its own line below,
 * then the verdict.
 *
 * @example Usage
 * ```ts
 * import { renderSteps } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const text = renderSteps(
 *   [{ name: "server URL", status: "ok", detail: "https" }, { name: "TCP connect", status: "fail", detail: "refused", next: "start it" }],
 *   { colour: false },
 * );
 * assert.match(text, /^ok    server URL   https$/m);
 * assert.match(text, /^fail  TCP connect  refused$/m);
 * assert.match(text, /^ {19}next: start it$/m);
 * ```
 *
 * @param steps The steps.
 * @param options Colours or not.
 * @returns The text, ending with a newline.
 */
export function renderSteps(steps: readonly Step[], options: RenderOptions): string {
  const statusWidth = Math.max(...steps.map((s) => s.status.length), 4);
  const nameWidth = Math.max(...steps.map((s) => s.name.length), 4);
  const indent = " ".repeat(statusWidth + 2 + nameWidth + 2);
  const paint = (status: StepStatus, text: string) =>
    options.colour ? `\x1b[${COLOURS[status]}m${text}\x1b[0m` : text;
  const lines: string[] = [];
  for (const s of steps) {
    const label = paint(s.status, s.status.padEnd(statusWidth));
    lines.push(`${label}  ${s.name.padEnd(nameWidth)}  ${s.detail}`.trimEnd());
    if (s.next !== undefined) lines.push(`${indent}next: ${s.next}`);
  }
  const ok = usable(steps);
  lines.push("");
  lines.push(
    ok
      ? paint("ok", "The bridge can use this server.")
      : paint("fail", "The bridge cannot use this server yet: see the steps marked fail above."),
  );
  return `${lines.join("\n")}\n`;
}

/** The `--json` document. */
export interface DoctorJson {
  /** The server URL as given. */
  server: string;
  /** Whether the bridge can use the server (the exit code is 0). */
  ok: boolean;
  /** The steps, in order. */
  steps: Step[];
}

/**
 * Renders the steps as one JSON document (see {@linkcode DoctorJson}).
 *
 * @example Usage
 * ```ts
 * import { renderJson } from "./render.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = JSON.parse(renderJson("https://x/mcp", [{ name: "server URL", status: "fail", detail: "bad" }]));
 * assert.equal(parsed.ok, false);
 * assert.equal(parsed.steps[0].status, "fail");
 * ```
 *
 * @param server The server URL as given.
 * @param steps The steps.
 * @returns The JSON text, ending with a newline.
 */
export function renderJson(server: string, steps: readonly Step[]): string {
  const document: DoctorJson = { server, ok: usable(steps), steps: [...steps] };
  return `${JSON.stringify(document, null, 2)}\n`;
}
