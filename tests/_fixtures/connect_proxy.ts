/**
 * An HTTP proxy on 127.0.0.1 that opens `CONNECT` tunnels (the way an HTTPS request goes through a
 * proxy), optionally behind `Proxy-Authorization: Basic`. Other methods are answered `501`.
 *
 * @module
 */

/** Options for {@linkcode startConnectProxy}. */
export interface ConnectProxyOptions {
  /** Require these credentials (else `407 Proxy Authentication Required`). */
  basicAuth?: { username: string; password: string };
}

/** A running proxy. */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The port. */
  port: number;
  /** The `host:port` of every tunnel opened, in order. */
  tunnels(): string[];
  /** How many requests were answered `407` (missing or wrong credentials). */
  refused(): number;
  /** Stops listening and closes every connection (again: waits for the first call). */
  close(): Promise<void>;
}

const HEAD_LIMIT = 16 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Reads up to the end of the request head; returns the head and the bytes after it. */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | null> {
  let bytes = new Uint8Array(0);
  const buffer = new Uint8Array(4096);
  while (bytes.length < HEAD_LIMIT) {
    const n = await conn.read(buffer);
    if (n === null) return null;
    const next = new Uint8Array(bytes.length + n);
    next.set(bytes);
    next.set(buffer.subarray(0, n), bytes.length);
    bytes = next;
    const end = indexOfHeadEnd(bytes);
    if (end >= 0) return { head: decoder.decode(bytes.subarray(0, end)), rest: bytes.slice(end + 4) };
  }
  return null;
}

async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await from.read(buffer).catch(() => null);
    if (n === null) return;
    try {
      await to.write(buffer.slice(0, n));
    } catch {
      return;
    }
  }
}

/**
 * Starts a proxy.
 *
 * @param options The credentials to require.
 * @returns The running proxy.
 */
export function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const open = new Set<Deno.Conn>();
  const served: Promise<void>[] = [];
  const tunnels: string[] = [];
  let refused = 0;
  let closing: Promise<void> | undefined;
  const expected = options.basicAuth
    ? `Basic ${btoa(`${options.basicAuth.username}:${options.basicAuth.password}`)}`
    : undefined;

  const closeConn = (conn: Deno.Conn) => {
    if (open.delete(conn)) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  const answer = async (conn: Deno.Conn, status: string, headers: string[] = []) => {
    const text = [`HTTP/1.1 ${status}`, ...headers, "Content-Length: 0", "Connection: close", "", ""];
    await conn.write(encoder.encode(text.join("\r\n"))).catch(() => {});
    closeConn(conn);
  };

  const serve = async (client: Deno.Conn) => {
    open.add(client);
    const request = await readHead(client).catch(() => null);
    if (!request) return closeConn(client);
    const [line, ...headerLines] = request.head.split("\r\n");
    const [method, target] = line.split(" ");
    if (method !== "CONNECT") return await answer(client, "501 Not Implemented");
    const authorization = headerLines
      .map((header) => header.match(/^proxy-authorization:\s*(.*)$/i)?.[1]?.trim())
      .find((value) => value !== undefined);
    if (expected !== undefined && authorization !== expected) {
      refused++;
      return await answer(client, "407 Proxy Authentication Required", [
        'Proxy-Authenticate: Basic realm="test"',
      ]);
    }
    const match = target?.match(/^\[?([^\]]+?)\]?:(\d+)$/);
    if (!match) return await answer(client, "400 Bad Request");
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: match[1], port: Number(match[2]) });
    } catch {
      return await answer(client, "502 Bad Gateway");
    }
    open.add(server);
    tunnels.push(target);
    try {
      await client.write(encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
      if (request.rest.length > 0) await server.write(request.rest);
    } catch {
      closeConn(client);
      closeConn(server);
      return;
    }
    const end = () => {
      closeConn(client);
      closeConn(server);
    };
    await Promise.all([pump(client, server).finally(end), pump(server, client).finally(end)]);
  };

  const accepting = (async () => {
    for await (const conn of listener) served.push(serve(conn).catch(() => {}));
  })().catch(() => {});

  return Promise.resolve({
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels: () => [...tunnels],
    refused: () => refused,
    close: () =>
      closing ??= (async () => {
        listener.close();
        await accepting;
        for (const conn of [...open]) closeConn(conn);
        await Promise.allSettled(served);
      })(),
  });
}
