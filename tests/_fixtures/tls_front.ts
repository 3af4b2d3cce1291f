/**
 * A TLS-terminating TCP proxy on 127.0.0.1 in front of a plain-HTTP server: the bridge speaks HTTPS to
 * it with a test PKI's certificates (see `test_pki.ts`), and the bytes go on, decrypted, to the server.
 * It can require a client certificate signed by the PKI's CA.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { createServer, type TLSSocket } from "node:tls";
import type { TestPki } from "./test_pki.ts";

/** Options for {@linkcode startTlsFront}. */
export interface TlsFrontOptions {
  /** Refuse clients without a certificate signed by {@linkcode TestPki.caCert} (default `false`). */
  requireClientCert?: boolean;
}

/** A running TLS front. */
export interface TlsFront {
  /** `https://127.0.0.1:<port>` followed by the upstream's path. */
  url: URL;
  /** The port. */
  port: number;
  /** How many TLS handshakes succeeded. */
  accepted(): number;
  /** How many TLS handshakes failed (no client certificate, an unknown CA, ...). */
  rejected(): number;
  /** Stops listening and closes every connection (again: waits for the first call). */
  close(): Promise<void>;
}

/**
 * Starts a TLS front for the server of `upstream`, with {@linkcode TestPki.serverCert}.
 *
 * @param upstream The plain-HTTP server's URL (its path is kept in {@linkcode TlsFront.url}).
 * @param pki The certificates.
 * @param options Whether a client certificate is required.
 * @returns The running front.
 */
export function startTlsFront(upstream: URL, pki: TestPki, options: TlsFrontOptions = {}): Promise<TlsFront> {
  const requireClientCert = options.requireClientCert ?? false;
  const sockets = new Set<Socket>();
  let accepted = 0;
  let rejected = 0;
  let closing: Promise<void> | undefined;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };

  const server = createServer({
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: [pki.caCert],
    requestCert: requireClientCert,
    rejectUnauthorized: requireClientCert,
  }, (client: TLSSocket) => {
    accepted++;
    track(client);
    const origin = connect({
      host: upstream.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(upstream.port),
    });
    track(origin);
    const end = () => {
      client.destroy();
      origin.destroy();
    };
    for (const socket of [client, origin]) {
      socket.on("error", end);
      socket.once("close", end);
    }
    client.pipe(origin);
    origin.pipe(client);
  });
  server.on("tlsClientError", (_error: Error, socket: TLSSocket) => {
    rejected++;
    socket.destroy();
  });
  server.on("connection", (socket: Socket) => track(socket));

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: new URL(`https://127.0.0.1:${port}${upstream.pathname}`),
        port,
        accepted: () => accepted,
        rejected: () => rejected,
        close: () =>
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
            sockets.clear();
          }),
      });
    });
  });
}
