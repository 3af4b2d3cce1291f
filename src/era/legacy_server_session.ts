/**
 * A host that speaks 2026-07-28 (per-request `_meta`, no `initialize`) in front of a 2025-era
 * server. The bridge performs the server's `initialize` itself, with the capabilities and client
 * info from the host's `_meta`, answers `server/discover` from the result, and marks every result
 * `resultType: "complete"` on the way back.
 *
 * @module
 */

import { type Envelope, ErrorCode, errorResponse, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { INTERNAL_ID_PREFIX } from "../jsonrpc/internal_id.ts";
import { INITIALIZED_NOTIFICATION, initializeRequest } from "../transport/handshake.ts";
import { type MessageSink, type RemoteTransport, TransportError } from "../transport/transport.ts";
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY } from "./meta.ts";
import { LEGACY_VERSIONS, MODERN_VERSION } from "./versions.ts";

type Json = Record<string, unknown>;

/** Options for {@linkcode LegacyServerSession}. */
export interface LegacyServerSessionOptions {
  /** Builds the 2025-era connection with the sink it must use. */
  makeLegacy: (sink: MessageSink) => RemoteTransport;
  /** The bridge's sink toward the host. */
  sink: MessageSink;
  /** The logger. */
  log: Logger;
  /** The bridge's identity, used when the host's `_meta` carries none. */
  clientInfo: { name: string; version: string };
}

/** The transport toward a 2025-era server for a 2026-07-28 host. */
export class LegacyServerSession implements RemoteTransport {
  /** The wire protocol. */
  readonly kind = "2025-era session for a 2026-07-28 host";
  #o: LegacyServerSessionOptions;
  #legacy: RemoteTransport;
  #initialized: Promise<Json> | undefined;
  #initializeId = `${INTERNAL_ID_PREFIX}initialize`;
  #initializeResult: ((result: Json) => void) | undefined;
  #initializeError: ((error: Error) => void) | undefined;

  /**
   * Creates the session; the server's `initialize` is sent with the host's first request.
   *
   * @example Usage
   * ```ts ignore
   * import { LegacyServerSession } from "./legacy_server_session.ts";
   * const session = new LegacyServerSession({ makeLegacy, sink, log, clientInfo: { name: "mcp-bridge", version: "0.1.0" } });
   * ```
   *
   * @param options The legacy connection factory, the sink and the logger.
   */
  constructor(options: LegacyServerSessionOptions) {
    this.#o = options;
    this.#legacy = options.makeLegacy(this.#fromServer);
  }

  /**
   * Sends one host message (see {@linkcode RemoteTransport.send}).
   *
   * @param text The message text.
   * @param envelope Its envelope.
   * @param signal Aborts the request.
   */
  async send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void> {
    if (envelope.kind !== "request") {
      // Cancellation and other notifications mean the same in the 2025 era: forward them.
      if (envelope.kind === "notification" && this.#initialized) {
        await this.#legacy.send(text, envelope, signal);
      }
      return;
    }
    const meta = ((envelope.value.params as Json | undefined)?._meta ?? {}) as Json;
    const init = await this.#initialize(meta);
    if (envelope.method === "server/discover") {
      const result: Json = {
        resultType: "complete",
        supportedVersions: [MODERN_VERSION],
        capabilities: init.capabilities ?? {},
        serverInfo: init.serverInfo ?? { name: "unknown", version: "unknown" },
        ...(typeof init.instructions === "string" ? { instructions: init.instructions } : {}),
      };
      const reply = JSON.stringify({ jsonrpc: "2.0", id: envelope.id, result });
      return await this.#o.sink(reply, parseMessage(reply));
    }
    if (envelope.method === "subscriptions/listen") {
      const reply = errorResponse(
        envelope.id,
        ErrorCode.MethodNotFound,
        "subscriptions/listen is not available: the server speaks the 2025 era, and mcp-bridge does not translate " +
          "its notifications into subscriptions yet",
      );
      return await this.#o.sink(reply, parseMessage(reply));
    }
    await this.#legacy.send(text, envelope, signal);
  }

  /** Closes the legacy connection (and its session). */
  async close(): Promise<void> {
    await this.#legacy.close();
  }

  #initialize(meta: Json): Promise<Json> {
    this.#initialized ??= (async () => {
      const info = meta[CLIENT_INFO_META_KEY] as { name?: unknown; version?: unknown } | undefined;
      const params = {
        protocolVersion: LEGACY_VERSIONS[0],
        capabilities: (meta[CLIENT_CAPABILITIES_META_KEY] as Json | undefined) ?? {},
        clientInfo: typeof info?.name === "string"
          ? { name: info.name, version: typeof info.version === "string" ? info.version : "0" }
          : this.#o.clientInfo,
      };
      const text = initializeRequest(this.#initializeId, params);
      const result = new Promise<Json>((resolve, reject) => {
        this.#initializeResult = resolve;
        this.#initializeError = reject;
      });
      result.catch(() => {});
      await this.#legacy.send(text, parseMessage(text));
      const value = await result;
      await this.#legacy.send(INITIALIZED_NOTIFICATION, parseMessage(INITIALIZED_NOTIFICATION));
      this.#o.log.debug("The server speaks the 2025 era: mcp-bridge initialized it for the 2026-07-28 host");
      return value;
    })();
    this.#initialized.catch(() => (this.#initialized = undefined));
    return this.#initialized;
  }

  /** Messages from the 2025-era server, made right for a 2026-07-28 host. */
  #fromServer = async (text: string, envelope: Envelope): Promise<void> => {
    if (envelope.kind === "response") {
      if (envelope.id === this.#initializeId) {
        if ("result" in envelope.value) this.#initializeResult?.(envelope.value.result as Json);
        else {
          const error = envelope.value.error as { message?: string } | undefined;
          this.#initializeError?.(
            new TransportError(`The server refused initialize: ${error?.message ?? "error"}`),
          );
        }
        return;
      }
      if (
        "result" in envelope.value && typeof envelope.value.result === "object" &&
        envelope.value.result !== null
      ) {
        const result = envelope.value.result as Json;
        if (result.resultType === undefined) {
          const out = JSON.stringify({ ...envelope.value, result: { resultType: "complete", ...result } });
          return await this.#o.sink(out, parseMessage(out));
        }
      }
      return await this.#o.sink(text, envelope);
    }
    if (envelope.kind === "request") {
      // A 2026-07-28 host takes no requests from the server: decline, so the server does not wait.
      const reply = errorResponse(
        envelope.id as JsonRpcId,
        ErrorCode.MethodNotFound,
        `The host speaks MCP 2026-07-28, which has no server-to-client requests (${envelope.method})`,
      );
      this.#o.log.warn(`Declined ${envelope.method} from the server: the 2026-07-28 host cannot answer it`);
      await this.#legacy.send(reply, parseMessage(reply));
      return;
    }
    await this.#o.sink(text, envelope);
  };
}
