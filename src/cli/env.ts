/**
 * Environment access that asks for permission first, so a missing `--allow-env` becomes a clear
 * message naming the flag instead of a crash.
 *
 * @module
 */

/** Reads one environment variable; `undefined` when unset. */
export type EnvGetter = (name: string) => string | undefined;

/** A variable the bridge was not allowed to read. */
export class EnvPermissionError extends Error {
  /** The variable. */
  readonly variable: string;
  /** @param variable The variable that could not be read. */
  constructor(variable: string) {
    super(`Cannot read the environment variable "${variable}": run again with --allow-env=${variable}`);
    this.name = "EnvPermissionError";
    this.variable = variable;
  }
}

/**
 * Whether the process may read a variable (never prompts).
 *
 * @example Usage
 * ```ts ignore
 * import { canReadEnv } from "./env.ts";
 * if (canReadEnv("HOME")) console.log(Deno.env.get("HOME"));
 * ```
 *
 * @param name The variable.
 * @returns True when `--allow-env` covers it.
 */
export function canReadEnv(name: string): boolean {
  return Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
}

/**
 * Reads a variable the user referred to (in `${VAR}`): a missing permission is an error.
 *
 * @example Usage
 * ```ts ignore
 * import { requireEnv } from "./env.ts";
 * const token = requireEnv("API_TOKEN");
 * ```
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when unset.
 * @throws {EnvPermissionError} When `--allow-env` does not cover it.
 */
export function requireEnv(name: string): string | undefined {
  if (!canReadEnv(name)) throw new EnvPermissionError(name);
  return Deno.env.get(name);
}

/**
 * Reads a variable the bridge consults by itself (config dir defaults): without permission it
 * counts as unset.
 *
 * @example Usage
 * ```ts ignore
 * import { optionalEnv } from "./env.ts";
 * const dir = optionalEnv("MCP_BRIDGE_CONFIG_DIR");
 * ```
 *
 * @param name The variable.
 * @returns Its value, or `undefined` when unset or not permitted.
 */
export function optionalEnv(name: string): string | undefined {
  return canReadEnv(name) ? Deno.env.get(name) : undefined;
}

/**
 * Replaces each `${NAME}` in a template with the environment variable's value. An unset variable is an
 * error that names it; an empty one counts as set.
 *
 * @example Usage
 * ```ts
 * import { expandTemplate } from "./env.ts";
 * import assert from "node:assert/strict";
 *
 * const env = (name: string) => (name === "KEY" ? "-----BEGIN…" : undefined);
 * assert.equal(expandTemplate("${KEY}", env, "private_key"), "-----BEGIN…");
 * assert.throws(() => expandTemplate("${NOPE}", env, "private_key"), /NOPE is not set/);
 * ```
 *
 * @param template The text as written.
 * @param getEnv Reads one variable; `undefined` when unset. It may throw (missing permission).
 * @param where What holds the template, for messages (e.g. `header "X-Key"`).
 * @param makeError Builds the error thrown (default: an `Error`).
 * @returns The text with every variable replaced.
 */
export function expandTemplate(
  template: string,
  getEnv: EnvGetter,
  where: string,
  makeError: (message: string) => Error = (message) => new Error(message),
): string {
  return template.replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw makeError(`Cannot expand "\${${name}}" in ${where}: not a variable name`);
    }
    const found = getEnv(name);
    if (found === undefined) {
      throw makeError(`Cannot expand "\${${name}}" in ${where}: environment variable ${name} is not set`);
    }
    return found;
  });
}
