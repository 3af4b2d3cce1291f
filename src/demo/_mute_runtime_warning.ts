// deno-lint-ignore-file no-console -- this module's one job is to filter console.warn
/**
 * oidc-provider warns "Unsupported runtime" on stderr when it is loaded by anything but a Node LTS
 * release. Under Deno that line is noise for the demo's user (the demo's authorization server is
 * not what they are trying out), so this module, imported just before oidc-provider, drops that
 * one warning while oidc-provider loads; {@linkcode unmuteRuntimeWarning} puts `console.warn`
 * back. Every other warning still goes through.
 *
 * @module
 */

const original = console.warn;
const RUNTIME_WARNING = /^oidc-provider WARNING: Unsupported runtime\b/;

console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === "string" && RUNTIME_WARNING.test(args[0])) return;
  original(...args);
};

/** Restores `console.warn` once oidc-provider has loaded. */
export function unmuteRuntimeWarning(): void {
  console.warn = original;
}
