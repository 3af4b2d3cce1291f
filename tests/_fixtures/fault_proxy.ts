/**
 * A TCP proxy on 127.0.0.1 that sits between the bridge and a real server and injects the network faults
 * no server produces by itself: a connection reset after the server received a request, before any byte
 * of its answer reaches the bridge; a blackhole (every byte silently dropped while the sockets stay open,
 * as after a VPN switch or a NAT rebinding).
 *
 * @module
 */

/** Options for {@linkcode startFaultProxy}. */
export interface FaultProxyOptions {
  /**
   * Called with each chunk the bridge sends (decoded as text); return `true` to cut that connection once
   * the chunk reached the server: the server's answer is dropped and the bridge's socket closed.
   */
  cutAfter?: (chunk: string) => boolean;
  /** How long after the chunk the bridge's socket is closed (default 300 ms). */
  cutDelayMs?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** The upstream URL with the proxy's host and port. */
  url: URL;
  /** How many connections were cut. */
  cuts(): number;
  /** How many connections the bridge opened. */
  connections(): number;
  /**
   * Starts a blackhole: from now on every byte of every open connection is dropped in both directions,
   * and the sockets stay open; no new connection can be opened until {@linkcode FaultProxy.restore}. The
   * connections of before stay dead for good (the path they used is gone), as after a NAT rebinding.
   */
  blackhole(): void;
  /** Ends the blackhole: connections opened from now on work again (on the same port). */
  restore(): Promise<void>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a proxy to the server of `upstream`.
 *
 * @param upstream The server's URL (its path is kept in {@linkcode FaultProxy.url}).
 * @param options The fault to inject.
 * @returns The running proxy.
 */
export function startFaultProxy(upstream: URL, options: FaultProxyOptions = {}): FaultProxy {
  let listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  const pipes: Promise<void>[] = [];
  let cuts = 0;
  let connections = 0;
  let holing = false;
  const alive = new Set<{ dead: boolean }>();
  const decoder = new TextDecoder();

  const serve = async (client: Deno.Conn) => {
    connections++;
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: upstream.hostname, port: Number(upstream.port) });
    } catch {
      client.close();
      return;
    }
    open.add(client);
    open.add(server);
    let cut = false;
    const state = { dead: holing };
    if (!holing) alive.add(state);
    const close = () => {
      for (const conn of [client, server]) {
        if (open.delete(conn)) {
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      }
    };
    const up = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      while (true) {
        const n = await client.read(buffer).catch(() => null);
        if (n === null) break;
        if (state.dead) continue; // dropped: the server never sees it
        const chunk = buffer.slice(0, n);
        await server.write(chunk).catch(() => {});
        if (!cut && options.cutAfter?.(decoder.decode(chunk))) {
          cut = true;
          cuts++;
          setTimeout(close, options.cutDelayMs ?? 300);
        }
      }
      close();
    })();
    const down = (async () => {
      const buffer = new Uint8Array(64 * 1024);
      while (true) {
        const n = await server.read(buffer).catch(() => null);
        if (n === null) break;
        if (cut || state.dead) continue; // the answer never reaches the bridge
        await client.write(buffer.slice(0, n)).catch(() => {});
      }
      close();
    })();
    await Promise.all([up, down]);
  };

  const accept = (from: Deno.Listener) =>
    (async () => {
      for await (const client of from) pipes.push(serve(client));
    })().catch(() => {});
  let accepting = accept(listener);
  let closed = false;

  return {
    url: new URL(`${upstream.protocol}//127.0.0.1:${port}${upstream.pathname}`),
    cuts: () => cuts,
    connections: () => connections,
    blackhole: () => {
      holing = true;
      // The path is gone: a new connection cannot be opened (refused here; a real one times out).
      listener.close();
      for (const state of alive) {
        state.dead = true;
      }
      alive.clear();
    },
    restore: async () => {
      if (!holing || closed) return;
      holing = false;
      await accepting; // the old listener is gone before the port is taken again
      listener = Deno.listen({ hostname: "127.0.0.1", port });
      accepting = accept(listener);
    },
    close: async () => {
      closed = true;
      try {
        listener.close();
      } catch { /* closed by the blackhole */ }
      await accepting;
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
      open.clear();
      await Promise.allSettled(pipes);
    },
  };
}

/**
 * A {@linkcode FaultProxyOptions.cutAfter} that cuts the first connection carrying `marker` (a method
 * name in quotes, say), and no other.
 *
 * @param marker The text that arms the cut.
 * @returns The predicate.
 */
export function cutFirst(marker: string): (chunk: string) => boolean {
  let armed = true;
  return (chunk) => {
    if (!armed || !chunk.includes(marker)) return false;
    armed = false;
    return true;
  };
}
