/**
 * Small waits for tests: polling for a condition with a bound, and whether IPv6 loopback exists here.
 *
 * @module
 */

/**
 * Waits until `check()` holds, polling; fails after `ms` naming what was awaited (and `detail()`, if given).
 *
 * @param what What is awaited, for the failure message.
 * @param check The condition.
 * @param ms The bound (default 5 s).
 * @param detail More to say on failure (a bridge's stderr, say).
 */
export async function until(
  what: string,
  check: () => boolean,
  ms = 5000,
  detail?: () => string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}${detail ? `:\n${detail()}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether this machine can listen on the IPv6 loopback address `::1`. */
export function ipv6Available(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}
