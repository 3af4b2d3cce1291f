/**
 * The steps of `mcp-bridge doctor`: what each one found, and the verdict over all of them. Pure.
 *
 * @module
 */

/** How one step went: `skip` when it could not or need not run. */
export type StepStatus = "ok" | "warn" | "fail" | "skip";

/** One step of the diagnosis. */
export interface Step {
  /** What was checked, in a few words (the names are {@linkcode STEP_NAMES}). */
  name: string;
  /** How it went. */
  status: StepStatus;
  /** What was found (never a secret). */
  detail: string;
  /** What to do next, when something is to be done. */
  next?: string;
}

/** The names of the steps, in order. */
export const STEP_NAMES = {
  url: "server URL",
  headers: "headers",
  tcp: "TCP connect",
  tls: "TLS",
  proxy: "proxy",
  initialize: "MCP initialize",
  discovery: "OAuth discovery",
  credentials: "stored credentials",
  hostConfigs: "host config files",
} as const;

/**
 * Builds a step, leaving `next` out when there is nothing to do.
 *
 * @example Usage
 * ```ts
 * import { step } from "./step.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(step("proxy", "ok", "none"), { name: "proxy", status: "ok", detail: "none" });
 * ```
 *
 * @param name The step's name.
 * @param status How it went.
 * @param detail What was found.
 * @param next What to do next.
 * @returns The step.
 */
export function step(name: string, status: StepStatus, detail: string, next?: string): Step {
  return next === undefined ? { name, status, detail } : { name, status, detail, next };
}

/**
 * Whether the server can be used: the URL, the TCP connection (or a proxy, which skips it) and the
 * initialize request are ok, and discovery is ok when the server asks to sign in (skipped otherwise).
 *
 * @example Usage
 * ```ts
 * import { step, usable } from "./step.ts";
 * import assert from "node:assert/strict";
 *
 * const steps = [
 *   step("server URL", "ok", "https"),
 *   step("TCP connect", "ok", "open"),
 *   step("MCP initialize", "ok", "HTTP 200"),
 *   step("OAuth discovery", "skip", "no sign-in needed"),
 * ];
 * assert.equal(usable(steps), true);
 * assert.equal(usable([...steps.slice(0, 3), step("OAuth discovery", "fail", "no PKCE")]), false);
 * ```
 *
 * @param steps The steps.
 * @returns `true` when the bridge can use the server.
 */
export function usable(steps: readonly Step[]): boolean {
  const status = (name: string) => steps.find((s) => s.name === name)?.status;
  return status(STEP_NAMES.url) === "ok" &&
    status(STEP_NAMES.headers) !== "fail" &&
    (status(STEP_NAMES.tcp) === "ok" || status(STEP_NAMES.tcp) === "skip") &&
    status(STEP_NAMES.initialize) === "ok" &&
    (status(STEP_NAMES.discovery) ?? "skip") !== "fail" &&
    (status(STEP_NAMES.discovery) ?? "skip") !== "warn";
}

/**
 * The exit code of `doctor`: 0 when the server can be used (see {@linkcode usable}), 1 otherwise.
 *
 * @example Usage
 * ```ts
 * import { exitCode, step } from "./step.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(exitCode([step("server URL", "fail", "not a URL")]), 1);
 * ```
 *
 * @param steps The steps.
 * @returns 0 or 1.
 */
export function exitCode(steps: readonly Step[]): 0 | 1 {
  return usable(steps) ? 0 : 1;
}
