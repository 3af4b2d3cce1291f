/**
 * Loaded with `deno run --preload` before the bridge: reports on stderr the first touch of each of
 * Deno's lazily loaded global timers (`setTimeout` and the rest), with where it came from. The
 * start-up path must not touch them: the first touch costs ~10 ms and ~3 MiB (src/time/timer.ts).
 *
 * @module
 */

for (const name of ["setTimeout", "setInterval", "clearTimeout", "clearInterval"]) {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
  if (!descriptor?.get) throw new Error(`Cannot trap ${name}: it is no lazy getter in this Deno`);
  const get = descriptor.get;
  let reported = false;
  Object.defineProperty(globalThis, name, {
    ...descriptor,
    get() {
      if (!reported) {
        reported = true;
        const from = new Error().stack?.split("\n").slice(2, 4).map((l) => l.trim()).join(" < ");
        Deno.stderr.writeSync(new TextEncoder().encode(`TIMER GLOBAL TOUCHED: ${name} ${from}\n`));
      }
      return get.call(this);
    },
  });
}
