/**
 * Loaded with `deno run --preload` before the bridge: reports on stderr the first touch of the
 * runtime's lazily loaded `crypto` global, with where it came from. The start-up path of a server
 * without OAuth must not touch it: the first `crypto.subtle` digest loads the runtime's crypto code
 * (about 3 ms, src/transport/era_file.ts).
 *
 * @module
 */

const descriptor = Object.getOwnPropertyDescriptor(globalThis, "crypto");
if (!descriptor?.get) throw new Error("Cannot trap crypto: it is no lazy getter in this Deno");
const get = descriptor.get;
let reported = false;
Object.defineProperty(globalThis, "crypto", {
  ...descriptor,
  get() {
    if (!reported) {
      reported = true;
      const from = new Error().stack?.split("\n").slice(2, 5).map((l) => l.trim()).join(" < ");
      Deno.stderr.writeSync(new TextEncoder().encode(`CRYPTO TOUCHED: ${from}\n`));
    }
    return get.call(this);
  },
});
