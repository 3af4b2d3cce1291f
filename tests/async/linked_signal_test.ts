import assert from "node:assert/strict";
import { LazyLink, linkSignals } from "../../src/async/linked_signal.ts";

Deno.test("linkSignals aborts with the reason of the first source that aborts", () => {
  const a = new AbortController();
  const b = new AbortController();
  const linked = linkSignals([a.signal, undefined, b.signal]);
  assert.equal(linked.signal.aborted, false);
  b.abort(new Error("b first"));
  a.abort(new Error("a later"));
  assert.equal(linked.signal.aborted, true);
  assert.equal((linked.signal.reason as Error).message, "b first");
});

Deno.test("linkSignals is aborted at once when a source already is", () => {
  const a = new AbortController();
  a.abort("gone");
  const linked = linkSignals([new AbortController().signal, a.signal]);
  assert.equal(linked.signal.aborted, true);
  assert.equal(linked.signal.reason, "gone");
});

Deno.test("linkSignals returns a lone source itself, and refuses none", () => {
  const a = new AbortController();
  assert.equal(linkSignals([undefined, a.signal]).signal, a.signal);
  assert.throws(() => linkSignals([undefined]), /none was given/);
});

Deno.test("linkSignals: after unlink, a source that aborts no longer reaches the linked signal", () => {
  const transport = new AbortController();
  const host = new AbortController();
  const linked = linkSignals([transport.signal, host.signal]);
  linked.unlink();
  linked.unlink();
  transport.abort("shutdown");
  assert.equal(linked.signal.aborted, false);
});

Deno.test("linkSignals: a long-lived source keeps no listener of finished requests", () => {
  // Counts the listeners the long-lived signal holds, through its own add/remove.
  const transport = new AbortController();
  const listeners = new Set<unknown>();
  const add = transport.signal.addEventListener.bind(transport.signal);
  const remove = transport.signal.removeEventListener.bind(transport.signal);
  transport.signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners.add(args[1]);
    add(...args);
  }) as typeof add;
  transport.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners.delete(args[1]);
    remove(...args);
  }) as typeof remove;
  for (let i = 0; i < 100; i++) {
    const request = new AbortController();
    const linked = linkSignals([transport.signal, request.signal]);
    assert.equal(listeners.size, 1);
    if (i % 2 === 0) request.abort("cancelled");
    linked.unlink();
  }
  assert.equal(listeners.size, 0);
});

Deno.test("LazyLink adds no listener until its signal is asked for, and finds an aborted source without one", () => {
  let listeners = 0;
  const counted = () => {
    const controller = new AbortController();
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => {
      listeners++;
      add(...args);
    }) as typeof add;
    return controller;
  };
  const transport = counted();
  const host = counted();
  const ends = new LazyLink([transport.signal, undefined, host.signal]);
  assert.equal(ends.aborted(), undefined);
  host.abort("cancelled");
  assert.equal(ends.aborted(), host.signal);
  transport.abort("closing");
  // In the order given, not the order of aborting.
  assert.equal(ends.aborted(), transport.signal);
  assert.equal(listeners, 0);
  ends.unlink();
});

Deno.test("LazyLink links once, on the first use of its signal, and unlinks", () => {
  const transport = new AbortController();
  const host = new AbortController();
  const ends = new LazyLink([transport.signal, host.signal]);
  const signal = ends.signal!;
  assert.equal(ends.signal, signal, "one link, however often it is asked for");
  ends.unlink();
  host.abort("late");
  assert.equal(signal.aborted, false, "unlinked: the source no longer reaches it");
  const lone = new AbortController();
  assert.equal(new LazyLink([undefined, lone.signal]).signal, lone.signal);
  assert.equal(new LazyLink([undefined]).signal, undefined);
  const live = new LazyLink([transport.signal, new AbortController().signal]);
  transport.abort("closing");
  assert.equal(live.signal?.reason, "closing", "a source already aborted: the link is aborted at once");
});
