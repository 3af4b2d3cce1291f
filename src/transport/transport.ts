/**
 * The interface between the router and the wire transports.
 *
 * @module
 */

import type { Envelope, JsonRpcId } from "../jsonrpc/message.ts";

/** The default `--connect-timeout`: how long connection set-up may take. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * The `fetch` seam: every network request of the bridge goes through one of these. The requests to the
 * MCP server carry their headers as a plain record with lower-case names (any `HeadersInit` may come:
 * read them with `new Headers(init.headers)`).
 */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Receives each message the server sends (responses, requests, notifications), in order. The
 * returned promise is awaited before the next message is read: that is the backpressure path.
 *
 * `via` tells which stream carried the message, where the transport knows: the id of the request
 * whose response stream it came on, `null` for a stream of the server's own (the 2025 GET stream),
 * `undefined` when the transport cannot tell (HTTP+SSE has one stream for everything).
 */
export type MessageSink = (text: string, envelope: Envelope, via?: JsonRpcId | null) => Promise<void>;

/**
 * Receives a large result response as the UTF-8 bytes it came in, for the host as they are: checked to be one
 * JSON-RPC response with a `result` to the request `id` (valid JSON and UTF-8, no line break:
 * `scanResponse`). The bytes are valid only until the promise settles. Messages that are not such a
 * response still go to the {@linkcode MessageSink}, as text.
 */
export type ResponseBytesSink = (bytes: Uint8Array, id: JsonRpcId) => Promise<void>;

/** The kind of the HTTP+SSE transport (also reported before its module is loaded: lazy_transport.ts). */
export const HTTP_SSE_KIND = "http+sse";
/** The kind of the 2026-07-28 transport (also reported before its module is loaded: lazy_transport.ts). */
export const MODERN_KIND = "streamable-http (2026-07-28)";
/** The kind of the session a 2026-07-28 host gets on a 2025-era server (also before its module is loaded). */
export const LEGACY_SESSION_KIND = "2025-era session for a 2026-07-28 host";

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

/**
 * Supplies credentials to the transports and reacts when the server refuses them. Implemented by
 * the OAuth client; absent when the user passed their own `Authorization` header.
 */
export interface AuthHook {
  /** The `Authorization` header value for the next request, if there are credentials. */
  header(): Promise<string | undefined>;
  /**
   * Whether {@linkcode AuthHook.header} is known, now, to give nothing (no credentials stored, none being
   * fetched): the exchange then sends the request without asking it, and without waiting a turn.
   */
  hasNoCredentials?(): boolean;
  /** The header the value goes in, when not `Authorization` (read after {@linkcode header}). */
  headerName?(): string;
  /**
   * The `DPoP` proof (RFC 9449) for one request that carries `authorization`, when that is a DPoP-bound
   * token: a fresh one for every request (and every redirect hop).
   *
   * @param method The HTTP method.
   * @param url The request URL.
   * @param authorization The `Authorization` value the request carries.
   */
  proof?(method: string, url: URL, authorization: string): Promise<string | undefined>;
  /**
   * Sees the headers of every answer of the server (a `DPoP-Nonce` to use in the next proofs).
   *
   * @param url The request URL.
   * @param headers The answer's headers.
   */
  observe?(url: URL, headers: Headers): void;
  /**
   * The server answered 401, or 403. Resolves `true` when new credentials are ready and the request
   * should be sent again, `false` to report the refusal as it is; rejects (with a message for the
   * user) when signing in failed.
   *
   * @param status 401 or 403.
   * @param wwwAuthenticate The `WWW-Authenticate` header of the refusal.
   * @param sentHeader The `Authorization` value the refused request carried.
   * @param operation What was refused (a method name), to bound step-up attempts per operation.
   */
  challenge(
    status: number,
    wwwAuthenticate: string | null,
    sentHeader: string | undefined,
    operation: string,
  ): Promise<boolean>;
}

/** Why a message could not be delivered or answered. The message is meant for the user. */
export class TransportError extends Error {
  /** The HTTP status, when the server answered with one. */
  readonly status: number | undefined;
  /** A JSON-RPC error response the server sent for the failed request, to forward as-is. */
  readonly serverResponse: string | undefined;
  /** A GET that should have opened an event stream answered with something else. */
  readonly notAStream: boolean;
  /** What the error response's body said, in a few words. */
  readonly detail: string | undefined;
  /** A message from the server was past the size limit. */
  readonly tooLarge: boolean;
  /** The request was sent and the connection broke before any answer: the server may have run it. */
  readonly outcomeUnknown: boolean;
  /** Trying again cannot help (a certificate, a refused client certificate, proxy credentials). */
  readonly permanent: boolean;
  /** No connection could be opened (refused, no route, DNS): the request never reached the server. */
  readonly unreachable: boolean;
  /**
   * Creates the error.
   *
   * @param message What happened, where, and what to try.
   * @param options The HTTP status and the server's own JSON-RPC error, if any.
   */
  constructor(
    message: string,
    options: {
      status?: number;
      serverResponse?: string;
      notAStream?: boolean;
      detail?: string;
      tooLarge?: boolean;
      outcomeUnknown?: boolean;
      permanent?: boolean;
      unreachable?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "TransportError";
    this.status = options.status;
    this.serverResponse = options.serverResponse;
    this.notAStream = options.notAStream ?? false;
    this.detail = options.detail;
    this.tooLarge = options.tooLarge ?? false;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.permanent = options.permanent ?? false;
    this.unreachable = options.unreachable ?? false;
  }
}

/** The server answered as if it spoke the other protocol era (it was replaced or reconfigured). */
export class EraMismatchError extends TransportError {
  /**
   * Creates the error.
   *
   * @param message What the server answered.
   * @param status The HTTP status.
   */
  constructor(message: string, status: number) {
    super(message, { status });
    this.name = "EraMismatchError";
  }
}
