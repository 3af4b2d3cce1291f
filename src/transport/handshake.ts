/**
 * The 2025-era handshake the host made (`initialize`, then `notifications/initialized`), kept so that
 * a new session can be started exactly the same way: after a session expired, after a lost HTTP+SSE
 * stream, after an era switch, and by whole-connection reconnection. Pure.
 *
 * @module
 */

import { type Envelope, parseMessage } from "../jsonrpc/message.ts";
import { excerpt } from "../log/excerpt.ts";
import { TransportError } from "./transport.ts";

/** The `notifications/initialized` text the bridge sends when the host's own is not known. */
export const INITIALIZED_NOTIFICATION = '{"jsonrpc":"2.0","method":"notifications/initialized"}';

/**
 * An `initialize` request text.
 *
 * @example Usage
 * ```ts
 * import { initializeRequest } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(JSON.parse(initializeRequest("mcp-bridge-1", { protocolVersion: "2025-11-25" })), {
 *   jsonrpc: "2.0",
 *   id: "mcp-bridge-1",
 *   method: "initialize",
 *   params: { protocolVersion: "2025-11-25" },
 * });
 * ```
 *
 * @param id The request id (one of the bridge's own).
 * @param params The params.
 * @returns The text.
 */
export function initializeRequest(id: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "initialize", ...(params ? { params } : {}) });
}

/**
 * Why the server's answer to a replayed `initialize` does not start a new session, or `undefined` when it
 * does (a result). The error is `permanent`: sending the same `initialize` again gets the same answer.
 *
 * @example Usage
 * ```ts
 * import { renewalRefusal } from "./handshake.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(renewalRefusal('{"jsonrpc":"2.0","id":"mcp-bridge-1","result":{}}', "example.com"), undefined);
 * const refused = renewalRefusal(
 *   '{"jsonrpc":"2.0","id":"mcp-bridge-1","error":{"code":-32600,"message":"Busy"}}',
 *   "example.com",
 * );
 * assert.match(refused!.message, /^The server at example.com refused to start a new session: /);
 * ```
 *
 * @param response The response text.
 * @param host The server's host, for the message.
 * @returns The error for the requests that waited for the new session, or `undefined`.
 */
export function renewalRefusal(response: string, host: string): TransportError | undefined {
  const envelope = parseMessage(response);
  if (envelope.kind === "response" && "result" in envelope.value) return undefined;
  return new TransportError(
    `The server at ${host} refused to start a new session: ${excerpt(response, 200)}`,
    {
      permanent: true,
    },
  );
}

/** Records the host's handshake and replays it under the bridge's own ids. */
export class HostHandshake {
  #initialize: Record<string, unknown> | undefined;
  #initialized: string | undefined;

  /**
   * Looks at a host message and keeps it when it is part of the handshake.
   *
   * @example Usage
   * ```ts
   * import { HostHandshake } from "./handshake.ts";
   * import { parseMessage } from "../jsonrpc/message.ts";
   * import assert from "node:assert/strict";
   *
   * const handshake = new HostHandshake();
   * const text = '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}';
   * assert.equal(handshake.observe(text, parseMessage(text)), "initialize");
   * assert.equal(JSON.parse(handshake.replay("mcp-bridge-9")!).id, "mcp-bridge-9");
   * ```
   *
   * @param _text The message text.
   * @param envelope Its envelope.
   * @returns Which part of the handshake it is, if any.
   */
  observe(_text: string, envelope: Envelope): "initialize" | "initialized" | undefined {
    if (envelope.kind === "request" && envelope.method === "initialize") {
      this.#initialize = envelope.value;
      return "initialize";
    }
    if (envelope.kind === "notification" && envelope.method === "notifications/initialized") {
      this.#initialized = _text;
      return "initialized";
    }
    return undefined;
  }

  /** Whether the host's `initialize` is known. */
  get known(): boolean {
    return this.#initialize !== undefined;
  }

  /** The host's `notifications/initialized`, once it was sent. */
  get initialized(): string | undefined {
    return this.#initialized;
  }

  /**
   * The host's `initialize` again, under an id of the bridge's own (its response never reaches the
   * host), or `undefined` when the host sent none.
   *
   * @param id The new id.
   * @returns The request text.
   */
  replay(id: string): string | undefined {
    return this.#initialize === undefined ? undefined : JSON.stringify({ ...this.#initialize, id });
  }
}
