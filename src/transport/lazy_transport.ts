/**
 * A transport whose code is loaded on its first use: for the connections not every run needs (HTTP+SSE,
 * a 2026-07-28 host on a 2025-era server, and the 2026-07-28 transport with its era probe, which a server
 * remembered as a 2025-era one never needs), so that their modules are not on every run's start-up path.
 *
 * @module
 */

import type { Envelope } from "../jsonrpc/message.ts";
import type { ModernTransport } from "./connect.ts";
import { type RemoteTransport, TransportError } from "./transport.ts";

/** A {@linkcode RemoteTransport} that loads (and builds) the real one when the first message is sent. */
export class LazyTransport<T extends RemoteTransport = RemoteTransport> implements RemoteTransport {
  #kind: string;
  #load: () => Promise<T>;
  #loading: Promise<T> | undefined;
  #loaded: T | undefined;
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
  constructor(kind: string, load: () => Promise<T>) {
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
  send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    const loaded = this.#loaded;
    if (loaded !== undefined && !this.#closed) return loaded.send(text, envelope, signal);
    return this.loaded().then((transport) => transport.send(text, envelope, signal));
  }

  /**
   * The real transport, loaded (once) if it was not yet; a load error is passed on.
   *
   * @returns The transport.
   * @throws {TransportError} Once the placeholder is closed.
   */
  loaded(): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new TransportError("The bridge is shutting down: the message was not sent"));
    }
    return this.#loading ??= this.#load().then((transport) => (this.#loaded = transport));
  }

  /** Closes the transport if it was loaded (or once it is), and refuses later messages. */
  async close(): Promise<void> {
    this.#closed = true;
    const transport = await this.#loading?.catch(() => undefined);
    await transport?.close();
  }
}

/** A {@linkcode LazyTransport} for the 2026-07-28 transport: its era probe loads it too. */
export class LazyModernTransport extends LazyTransport<ModernTransport> implements ModernTransport {
  /**
   * Loads the transport and probes the server's era with it (see {@linkcode ModernTransport.probe}).
   *
   * @example Usage
   * ```ts
   * import { LazyModernTransport } from "./lazy_transport.ts";
   * import assert from "node:assert/strict";
   *
   * const modern = new LazyModernTransport("modern", () =>
   *   Promise.resolve({
   *     kind: "modern",
   *     probe: () => Promise.resolve("legacy" as const),
   *     send: () => Promise.resolve(),
   *     close: () => Promise.resolve(),
   *   }));
   * assert.equal(await modern.probe(), "legacy");
   * ```
   *
   * @param first The host's first message.
   * @returns `modern` or `legacy`.
   */
  async probe(first?: Envelope): Promise<"modern" | "legacy"> {
    return await (await this.loaded()).probe(first);
  }
}
