/**
 * A transport whose code is loaded on its first message: for the connections few runs need (HTTP+SSE, a
 * 2026-07-28 host on a 2025-era server), so that their modules are not on every run's start-up path.
 *
 * @module
 */

import type { Envelope } from "../jsonrpc/message.ts";
import { type RemoteTransport, TransportError } from "./transport.ts";

/** A {@linkcode RemoteTransport} that loads (and builds) the real one when the first message is sent. */
export class LazyTransport implements RemoteTransport {
  #kind: string;
  #load: () => Promise<RemoteTransport>;
  #loading: Promise<RemoteTransport> | undefined;
  #loaded: RemoteTransport | undefined;
  #closed = false;

  /**
   * Creates the placeholder; nothing is loaded yet.
   *
   * @example Usage
   * ```ts
   * import { LazyTransport } from "./lazy_transport.ts";
   * import assert from "node:assert/strict";
   *
   * const sent: string[] = [];
   * const transport = new LazyTransport("echo", () =>
   *   Promise.resolve({ kind: "echo", send: (text) => void sent.push(text) ?? Promise.resolve(), close: () => Promise.resolve() }));
   * await transport.send("{}", { kind: "invalid" });
   * assert.deepEqual(sent, ["{}"]);
   * ```
   *
   * @param kind The kind of the transport it becomes (reported until it is loaded).
   * @param load Loads the module and builds the transport.
   */
  constructor(kind: string, load: () => Promise<RemoteTransport>) {
    this.#kind = kind;
    this.#load = load;
  }

  /** The loaded transport's kind, or the one given until then. */
  get kind(): string {
    return this.#loaded?.kind ?? this.#kind;
  }

  /**
   * Sends one message, loading the transport first if needed.
   *
   * @param text The message text.
   * @param envelope Its envelope.
   * @param signal Aborts the exchange.
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
    this.#loading ??= this.#load().then((transport) => (this.#loaded = transport));
    const transport = await this.#loading;
    await transport.send(text, envelope, signal);
  }

  /** Closes the transport if it was loaded (or once it is), and refuses later messages. */
  async close(): Promise<void> {
    this.#closed = true;
    const transport = await this.#loading?.catch(() => undefined);
    await transport?.close();
  }
}
