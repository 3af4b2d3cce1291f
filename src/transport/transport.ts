/**
 * The interface between the router and the wire transports.
 *
 * @module
 */

import type { Envelope } from "../jsonrpc/message.ts";

/** The `fetch` seam: every network request of the bridge goes through one of these. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Receives each message the server sends (responses, requests, notifications), in order. The
 * returned promise is awaited before the next message is read: that is the backpressure path.
 */
export type MessageSink = (text: string, envelope: Envelope) => Promise<void>;

/** A connection to the remote server that carries host messages. */
export interface RemoteTransport {
  /** Which wire protocol this is. */
  readonly kind: string;
  /**
   * Sends one host message. For a request, settles once its response has been given to the sink
   * (or rejects with a {@linkcode TransportError} that says why none will come); for a notification
   * or a response, once the server accepted it.
   */
  send(text: string, envelope: Envelope, signal?: AbortSignal): Promise<void>;
  /** Ends the connection (and the session, where there is one). */
  close(): Promise<void>;
}

/** Why a message could not be delivered or answered. The message is meant for the user. */
export class TransportError extends Error {
  /** The HTTP status, when the server answered with one. */
  readonly status: number | undefined;
  /** A JSON-RPC error response the server sent for the failed request, to forward as-is. */
  readonly serverResponse: string | undefined;
  /** A GET that should have opened an event stream answered with something else. */
  readonly notAStream: boolean;
  /**
   * @param message What happened, where, and what to try.
   * @param options The HTTP status and the server's own JSON-RPC error, if any.
   */
  constructor(
    message: string,
    options: { status?: number; serverResponse?: string; notAStream?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TransportError";
    this.status = options.status;
    this.serverResponse = options.serverResponse;
    this.notAStream = options.notAStream ?? false;
  }
}
