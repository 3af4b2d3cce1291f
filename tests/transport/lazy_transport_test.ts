import assert from "node:assert/strict";
import { parseMessage } from "../../src/jsonrpc/message.ts";
import { LazyModernTransport, LazyTransport } from "../../src/transport/lazy_transport.ts";
import { type RemoteTransport, TransportError } from "../../src/transport/transport.ts";

/** A real transport's stand-in that records what reaches it (the loading is what is under test). */
function recording(kind: string) {
  const log: string[] = [];
  const transport: RemoteTransport = {
    kind,
    send: (text) => {
      log.push(`send ${text}`);
      return Promise.resolve();
    },
    close: () => {
      log.push("close");
      return Promise.resolve();
    },
  };
  return { transport, log };
}

const PING = '{"jsonrpc":"2.0","id":1,"method":"ping"}';

Deno.test("LazyTransport: loads nothing until the first message, then once for all, and sends through it", async () => {
  const { transport, log } = recording("real kind");
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const lazy = new LazyTransport("placeholder kind", async () => {
    loads++;
    await gate;
    return transport;
  });
  assert.equal(loads, 0);
  assert.equal(lazy.kind, "placeholder kind");
  const sends = [lazy.send(PING, parseMessage(PING)), lazy.send("second", parseMessage("second"))];
  assert.equal(loads, 1);
  release();
  await Promise.all(sends);
  assert.equal(loads, 1);
  assert.equal(lazy.kind, "real kind");
  assert.deepEqual(log, [`send ${PING}`, "send second"]);
  await lazy.close();
  assert.deepEqual(log.at(-1), "close");
});

Deno.test("LazyTransport: closed before its first message, it loads nothing and refuses messages", async () => {
  let loads = 0;
  const lazy = new LazyTransport("k", () => {
    loads++;
    return Promise.resolve(recording("k").transport);
  });
  await lazy.close();
  await assert.rejects(lazy.send(PING, parseMessage(PING)), TransportError);
  assert.equal(loads, 0);
});

Deno.test("LazyTransport: closed while loading, the loaded transport is closed too", async () => {
  const { transport, log } = recording("k");
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const lazy = new LazyTransport("k", async () => {
    await gate;
    return transport;
  });
  const sent = lazy.send(PING, parseMessage(PING));
  const closed = lazy.close();
  release();
  await closed;
  await sent.catch(() => {});
  assert.ok(log.includes("close"), log.join(", "));
});

Deno.test("LazyTransport: a module that cannot be loaded fails the message with the reason, and close still works", async () => {
  const lazy = new LazyTransport("k", () => Promise.reject(new Error("Cannot load the module: gone")));
  await assert.rejects(lazy.send(PING, parseMessage(PING)), /gone/);
  await lazy.close();
});

Deno.test("LazyModernTransport: the era probe loads the transport once, and later messages go through the same one", async () => {
  const { transport, log } = recording("modern kind");
  let loads = 0;
  const probes: (string | undefined)[] = [];
  const lazy = new LazyModernTransport("placeholder", () => {
    loads++;
    return Promise.resolve({
      ...transport,
      probe: (first?: { kind: string }) => (probes.push(first?.kind), Promise.resolve("modern" as const)),
    });
  });
  assert.equal(loads, 0, "nothing loads before the probe");
  assert.equal(await lazy.probe(parseMessage(PING)), "modern");
  await lazy.send(PING, parseMessage(PING));
  assert.equal(loads, 1);
  assert.deepEqual(probes, ["request"]);
  assert.deepEqual(log, [`send ${PING}`]);
  await lazy.close();
  await assert.rejects(lazy.probe(), TransportError, "a closed placeholder probes nothing");
  assert.equal(loads, 1);
});
