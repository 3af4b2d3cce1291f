/**
 * Picks the wire transport with the host's first message, and falls back when the strategy allows.
 * No request is made before the host's first message.
 *
 * @module
 */

import { type Envelope, MODERN_ERROR_CODES, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { INTERNAL_ID_PREFIX } from "../jsonrpc/internal_id.ts";
import { HostHandshake, INITIALIZED_NOTIFICATION } from "./handshake.ts";
import { firstTransport, shouldFallBack, type TransportKind, type TransportMode } from "./fallback.ts";
import type { EraMemory } from "./era_memory.ts";
import { startTimer, type Timer } from "../time/timer.ts";
import { EraMismatchError, type MessageSink, type RemoteTransport, TransportError } from "./transport.ts";

/** How long closing waits for the era being written to the config dir (a few ms on a local disk). */
export const REMEMBER_GRACE_MS = 500;

/**
 * Whether a failed `initialize` carries a 2026-07-28 server's own error: then the server is no
 * 2024-11-05 one, and its answer (not an HTTP+SSE attempt) goes to the host.
 */
function isModernRefusal(error: TransportError): boolean {
  if (error.serverResponse === undefined) return false;
  try {
    const code = JSON.parse(error.serverResponse)?.error?.code;
    return MODERN_ERROR_CODES.includes(code);
  } catch {
    return false;
  }
}

/** Whether a host message shows that the host speaks 2026-07-28 (per-request `_meta`, or discovery). */
export function isModernHostMessage(envelope: Envelope): boolean {
  if (envelope.kind !== "request") return false;
  if (envelope.method === "server/discover") return true;
  const meta = (envelope.value.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  return typeof meta?.["io.modelcontextprotocol/protocolVersion"] === "string";
}

/** A 2026-07-28 transport that can probe the server's era first. */
export interface ModernTransport extends RemoteTransport {
  /**
   * Asks the server which era it speaks (without creating a session on a 2025-era server).
   *
   * @param first The host's first message (its `initialize` tells the host's capabilities).
   */
  probe(first?: Envelope): Promise<"modern" | "legacy">;
}

/**
 * Where a translator that sits between the bridge and a 2025-era connection wants what the server
 * sends: its messages, and word of a session the transport renewed by itself.
 */
export interface LegacyReceiver {
  /** Receives every server message. */
  sink: MessageSink;
  /** Called after the transport replaced an expired session with a new one. */
  onSessionRenewed?: () => void;
}

/** Options for {@linkcode ConnectingTransport}. */
export interface ConnectingOptions {
  /** `--transport`. */
  mode: TransportMode;
  /** `--protocol`: `auto` probes the server's era, `legacy` and `modern` force one. */
  protocol?: "auto" | "legacy" | "modern";
  /** Builds the 2026-07-28 transport. */
  createModern?: () => ModernTransport;
  /** Where the server's era is remembered between runs (`protocol: "auto"` only; default: nowhere). */
  eraMemory?: EraMemory;
  /** Builds a transport of a kind; `receiver` replaces the bridge's sink when a translator sits between. */
  create: (kind: TransportKind, receiver?: LegacyReceiver) => RemoteTransport;
  /**
   * Wraps a 2025-era connection for a host that speaks 2026-07-28: it initializes by itself and
   * translates back. It gets a factory for the legacy connection, given where the server's messages go.
   */
  adaptModernHost?: (makeLegacy: (receiver: LegacyReceiver) => RemoteTransport) => RemoteTransport;
  /** The logger. */
  log: Logger;
}

/** A transport that becomes Streamable HTTP or HTTP+SSE when the first message is sent. */
export class ConnectingTransport implements RemoteTransport {
  #o: ConnectingOptions;
  #current: RemoteTransport | undefined;
  #first: Promise<void> | undefined;
  #firstSettled = false;
  #closed = false;
  #era: "modern" | "legacy" | undefined;
  #hostInitialize: { text: string; envelope: Extract<Envelope, { kind: "request" }> } | undefined;
  #switching: Promise<boolean> | undefined;
  #remembering: Promise<void> | undefined;

  /**
   * Creates the strategy; nothing is sent yet.
   *
   * @example Usage
   * ```ts ignore
   * import { ConnectingTransport } from "./connect.ts";
   * const transport = new ConnectingTransport({ mode: "http-first", create: (kind) => make(kind), log });
   * ```
   *
   * @param options The mode and the factory.
   */
  constructor(options: ConnectingOptions) {
    this.#o = options;
  }

  /** The chosen wire protocol, once chosen. */
  get kind(): string {
    return this.#current?.kind ?? "unconnected";
  }

  /**
   * Sends one host message; the first one chooses the transport.
   *
   * @param text The message text.
   * @param envelope Its envelope.
   * @param signal Aborts the exchange.
   */
  send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    // Connected (the usual case): straight to the transport, with no frame of its own waiting.
    if (this.#firstSettled && this.#switching === undefined) {
      try {
        return this.#current!.send(text, envelope, signal).catch((error) =>
          this.#sendAfterEraChange(error, text, envelope, signal)
        );
      } catch (error) {
        // A transport that was never made (the first message failed before): rejected, as an async send was.
        return Promise.reject(error);
      }
    }
    return this.#sendConnecting(text, envelope, signal);
  }

  /** A message the transport failed: sent again after a change of era, or its failure passed on. */
  async #sendAfterEraChange(
    error: unknown,
    text: string,
    envelope: Envelope,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    // The era was cached for the process; when the server stops answering in it, probe again.
    if (!(await this.#eraChanged(error))) throw error;
    await this.#current!.send(text, envelope, signal);
  }

  /** A message while the first one chooses the transport, or while the era is being switched. */
  async #sendConnecting(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (this.#first === undefined) {
      this.#first = this.#sendFirst(text, envelope, signal);
      const settled = () => this.#firstSettled = true;
      this.#first.then(settled, settled);
      return await this.#first;
    }
    // Queued sends resume a tick after the flag is set: one chained on the first's promise could overtake them.
    if (!this.#firstSettled) await this.#first.catch(() => {});
    if (this.#switching) await this.#switching;
    try {
      await this.#current!.send(text, envelope, signal);
    } catch (error) {
      await this.#sendAfterEraChange(error, text, envelope, signal);
    }
  }

  /** Probes again after an answer from the other era, and switches (once for all callers). */
  #eraChanged(error: unknown): Promise<boolean> {
    if (
      (this.#o.protocol ?? "legacy") !== "auto" || !this.#o.createModern || !this.#hostInitialize ||
      this.#closed ||
      !(error instanceof TransportError)
    ) {
      return Promise.resolve(false);
    }
    const toModern = this.#era === "legacy" && isModernRefusal(error);
    const toLegacy = this.#era === "modern" && error instanceof EraMismatchError;
    if (!toModern && !toLegacy) return Promise.resolve(false);
    this.#switching ??= this.#switchEra(toModern ? "modern" : "legacy").finally(
      () => (this.#switching = undefined),
    );
    return this.#switching;
  }

  async #switchEra(to: "modern" | "legacy"): Promise<boolean> {
    const host = this.#hostInitialize!;
    const old = this.#current;
    try {
      if (to === "modern") {
        const modern = this.#o.createModern!();
        if (await modern.probe(host.envelope).catch(() => "legacy") !== "modern") {
          await modern.close();
          return false;
        }
        // Replaying the host's initialize sets the session up; its answer finds no waiting request.
        await modern.send(host.text, host.envelope);
        await modern.send(INITIALIZED_NOTIFICATION, parseMessage(INITIALIZED_NOTIFICATION));
        this.#current = modern;
      } else {
        const legacy = this.#o.create(firstTransport(this.#o.mode));
        const handshake = new HostHandshake();
        handshake.observe(host.text, host.envelope);
        const init = handshake.replay(`${INTERNAL_ID_PREFIX}era-initialize`)!;
        await legacy.send(init, parseMessage(init));
        await legacy.send(INITIALIZED_NOTIFICATION, parseMessage(INITIALIZED_NOTIFICATION));
        this.#current = legacy;
      }
    } catch (error) {
      this.#o.log.warn(
        `The server changed its protocol era and switching failed: ${(error as Error).message}`,
      );
      return false;
    }
    this.#era = to;
    this.#remember(to);
    this.#o.log.info(
      `The server now speaks ${to === "modern" ? "MCP 2026-07-28" : "the 2025 era"}: switched`,
    );
    void old?.close().catch(() => {});
    return true;
  }

  /**
   * Closes the chosen transport at once (a first exchange still under way is aborted with it), and gives the
   * era being remembered up to {@linkcode REMEMBER_GRACE_MS} to reach the disk.
   */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#current?.close();
    const remembering = this.#remembering;
    if (remembering) {
      let timer: Timer | undefined;
      await Promise.race([
        remembering,
        new Promise<void>((resolve) => (timer = startTimer(REMEMBER_GRACE_MS, resolve))),
      ]);
      timer?.cancel();
    }
  }

  /** Remembers the era in the background (a memory that throws is ignored: it is a cache). */
  #remember(era: "modern" | "legacy"): void {
    const memory = this.#o.eraMemory;
    if (!memory) return;
    let writing: Promise<void>;
    try {
      writing = memory.remember(era).catch(() => {});
    } catch {
      return;
    }
    const all: Promise<void> = Promise.all([this.#remembering, writing]).then(() => {
      if (this.#remembering === all) this.#remembering = undefined;
    });
    this.#remembering = all;
  }

  async #sendFirst(text: string, envelope: Envelope, signal: AbortSignal | undefined): Promise<void> {
    const protocol = this.#o.protocol ?? "legacy";
    if (envelope.kind === "request" && envelope.method === "initialize") {
      this.#hostInitialize = { text, envelope };
    }
    // HTTP+SSE exists only in the 2024-11-05 era: an SSE-first strategy means a 2025-era server.
    if (protocol !== "legacy" && this.#o.createModern && firstTransport(this.#o.mode) === "streamable-http") {
      const remembered = protocol === "auto" ? await this.#o.eraMemory?.recall() : undefined;
      if (remembered === "legacy") {
        // A server that spoke only the 2025 era at the last probe is not probed again: one round trip
        // saved. If it answers as a 2026-07-28 server now, it is probed after all.
        this.#o.log.debug("The server spoke the 2025 era when last probed (remembered): not probed");
        this.#era = "legacy";
        try {
          return await this.#sendLegacyFirst(text, envelope, signal);
        } catch (error) {
          if (!(error instanceof TransportError) || !isModernRefusal(error) || this.#closed) throw error;
          this.#o.log.debug("The server answered as a 2026-07-28 server: probing its era again");
          await this.#current?.close();
        }
      }
      const modern = this.#o.createModern();
      this.#current = modern;
      const era = protocol === "modern" ? "modern" : await modern.probe(envelope);
      this.#era = era;
      // Written once the first message is answered, so that the disk work does not delay the answer (and a
      // first exchange that failed, a probe's verdict perhaps with it, is not remembered).
      const remember = () => {
        if (protocol === "auto" && era !== remembered) this.#remember(era);
      };
      if (era === "modern") {
        this.#o.log.debug("The server speaks MCP 2026-07-28");
        await modern.send(text, envelope, signal);
        remember();
        return;
      }
      this.#o.log.debug("The server speaks the 2025 era (initialize and sessions)");
      await modern.close();
      if (this.#closed) throw new TransportError("The bridge is shutting down: the message was not sent");
      await this.#sendLegacyFirst(text, envelope, signal);
      remember();
      return;
    }
    await this.#sendLegacyFirst(text, envelope, signal);
  }

  /** Sends the first message over a 2025-era connection (Streamable HTTP or HTTP+SSE, with fallback). */
  async #sendLegacyFirst(text: string, envelope: Envelope, signal: AbortSignal | undefined): Promise<void> {
    if (this.#o.adaptModernHost && isModernHostMessage(envelope)) {
      // A 2026-07-28 host and a 2025-era server: the bridge holds the session for the host.
      const create = this.#o.create;
      this.#current = this.#o.adaptModernHost((receiver) =>
        new ConnectingTransport({
          mode: this.#o.mode,
          protocol: "legacy",
          log: this.#o.log,
          create: (kind) => create(kind, receiver),
        })
      );
      await this.#current.send(text, envelope, signal);
      return;
    }
    const first = firstTransport(this.#o.mode);
    this.#current = this.#o.create(first);
    try {
      await this.#current.send(text, envelope, signal);
      return;
    } catch (error) {
      const isInitialize = envelope.kind === "request" && envelope.method === "initialize";
      const other = error instanceof TransportError && isInitialize
        ? shouldFallBack(this.#o.mode, error.status, error.notAStream)
        : undefined;
      if (other === undefined || this.#closed || isModernRefusal(error as TransportError)) throw error;
      this.#o.log.info(
        `${first === "streamable-http" ? "Streamable HTTP" : "HTTP+SSE"} failed (${
          (error as Error).message
        }); ` +
          `trying ${other === "streamable-http" ? "Streamable HTTP" : "HTTP+SSE"}`,
      );
      await this.#current.close();
      this.#current = this.#o.create(other);
    }
    await this.#current.send(text, envelope, signal);
  }
}
