/**
 * Benchmarks of combining the abort signals of one request (the transport's, the host's, a deadline):
 * `AbortSignal.any` (weak references and a finalization registry for every dependent signal) against
 * `linkSignals` (a listener on each source, removed when the request ends), and against `LazyLink`, which
 * a request that never asks for the combined signal (a Streamable HTTP request whose liveness watch is its
 * end) pays for with one object and a look at each source.
 *
 * @module
 */

import { LazyLink, linkSignals } from "../src/async/linked_signal.ts";

const transport = new AbortController().signal;
const host = new AbortController().signal;

Deno.bench("AbortSignal.any([transport, host])", { group: "link", baseline: true }, () => {
  const signal = AbortSignal.any([transport, host]);
  if (signal.aborted) throw new Error("aborted");
});
Deno.bench("linkSignals([transport, host]) + unlink()", { group: "link" }, () => {
  const linked = linkSignals([transport, host]);
  if (linked.signal.aborted) throw new Error("aborted");
  linked.unlink();
});
Deno.bench("LazyLink([transport, host]), never linked: aborted() + unlink()", { group: "link" }, () => {
  const ends = new LazyLink([transport, undefined, host]);
  if (ends.aborted() !== undefined) throw new Error("aborted");
  ends.unlink();
});
