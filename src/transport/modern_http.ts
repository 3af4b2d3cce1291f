/**
 * The HTTP exchange of the 2026-07-28 era: every request is one POST carrying its own `_meta` and
 * the `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` headers; the answer is JSON or
 * an SSE stream of related notifications ending with the response. No sessions, no GET stream, no
 * resumption: a stream cut before the response is reported, and the caller re-issues the request.
 *
 * @module
 */

import { type Envelope, type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import { decodeBody, DEFAULT_MAX_MESSAGE_BYTES, formatBytes } from "../net/bounded_body.ts";
import { type ScannedResponse, scanResponse } from "../jsonrpc/scan_response.ts";
import {
  drain,
  failureFromResponse,
  isEventStream,
  isJson,
  readBodyBytes,
  readBodyText,
  unexpectedBody,
} from "./_http.ts";
import { BYTES_EVENT_MIN, readSseEvents, type SseLimit } from "./_sse_stream.ts";
import type { Deadline, ServerExchange, ServerRequest } from "./exchange.ts";
import { TransportError } from "./transport.ts";

/** Options for {@linkcode ModernHttpClient}. */
export interface ModernHttpOptions {
  /** Every HTTP request to the server goes through it. */
  exchange: ServerExchange;
  /** The logger. */
  log: Logger;
  /** The largest message (JSON body or SSE event) accepted from the server. */
  maxMessageBytes?: number;
}

/** The response stream of a request ended before its response: the request must be sent again. */
export class StreamCutError extends TransportError {
  /** @param host The server's host. */
  constructor(host: string) {
    super(`The server at ${host} closed the response stream before answering`);
    this.name = "StreamCutError";
  }
}

/** The answer to one request: the JSON-RPC response text, and the HTTP status it came with. */
export interface ModernAnswer {
  /** The response text (empty when `delivered`). */
  text: string;
  /** The HTTP status (a JSON-RPC error may come with 400 or 404 in this era). */
  status: number;
  /** The response's envelope (parsed once, here; a result response with an empty result when `delivered`). */
  envelope: Envelope;
  /** The response went as its bytes to the `takeBytes` of the request: there is nothing more to do with it. */
  delivered?: boolean;
}

/**
 * Offered a large result response to the request as the UTF-8 bytes it came in (valid only until the promise
 * settles); `true` when it took them, `false` to have the response as text.
 */
export type TakeBytes = (bytes: Uint8Array, scanned: ScannedResponse) => Promise<boolean>;

/** What `#answer` returns for a response that went to `takeBytes`. */
const DELIVERED = Symbol("delivered");

/** A message that arrives on a request's stream before its response. */
export type StreamMessageHandler = (text: string, envelope: Envelope) => Promise<void>;

const PROTOCOL_HEADERS: [string, string][] = [
  ["content-type", "application/json"],
  ["accept", "application/json, text/event-stream"],
];

/** A request's `Mcp-Method` (its operation, for limits and messages), found without a callback or a copy. */
function operationOf(headers: readonly [string, string][]): string {
  for (let i = 0; i < headers.length; i++) {
    const header = headers[i]!;
    if (header[0].length === 10 && header[0].toLowerCase() === "mcp-method") return header[1];
  }
  return "request";
}

/** Sends 2026-07-28 requests over HTTP. */
export class ModernHttpClient {
  #o: ModernHttpOptions;
  #max: number;
  #limit: SseLimit;
  #what: string;

  /**
   * Creates the client; nothing is sent yet.
   *
   * @example Usage
   * ```ts ignore
   * import { ModernHttpClient } from "./modern_http.ts";
   * const client = new ModernHttpClient({ exchange, log });
   * ```
   *
   * @param options Where and how to connect.
   */
  constructor(options: ModernHttpOptions) {
    this.#o = options;
    this.#max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#limit = { maxEventBytes: this.#max, what: `the event stream of ${options.exchange.url.host}` };
    this.#what = `the response from ${options.exchange.url.host}`;
  }

  /** The server URL. */
  get url(): URL {
    return this.#o.exchange.url;
  }

  /**
   * Whether a failure broke a connection (a response stream cut, or a connection lost with the request's
   * outcome unknown): the pooled connections to the server may be going too.
   *
   * @param error The failure.
   * @returns Whether it did.
   */
  static brokeConnection(error: unknown): boolean {
    return error instanceof StreamCutError ||
      (error instanceof TransportError && error.outcomeUnknown === true);
  }

  /** Drops the pooled connections: the next requests open new ones (a server that stopped closed them). */
  renewConnections(): void {
    this.#o.exchange.renewConnections();
  }

  /**
   * Sends one request and returns the text of its JSON-RPC response (an error response included:
   * a 4xx whose body is the server's JSON-RPC error for this request counts as an answer).
   *
   * @param body The request text (with its `_meta`).
   * @param id The request id.
   * @param headers The protocol headers for this request.
   * @param signal Aborting closes the stream (that is cancellation on HTTP).
   * @param onMessage Receives the notifications that precede the response.
   * @param deadline Bounds the waiting for the server (paused while signing in).
   * @param takeBytes Offered a large result response as its bytes, before it is decoded (default: none).
   * @returns The response text and HTTP status.
   * @throws {StreamCutError} When the stream ended before the response.
   * @throws {TransportError} For any other failure, with a message for the user.
   */
  async request(
    body: string,
    id: JsonRpcId,
    headers: readonly [string, string][],
    signal: AbortSignal | undefined,
    onMessage: StreamMessageHandler,
    deadline?: Deadline,
    takeBytes?: TakeBytes,
  ): Promise<ModernAnswer> {
    const request: ServerRequest = {
      method: "POST",
      headers: PROTOCOL_HEADERS.concat(headers),
      body,
      operation: operationOf(headers),
      expectId: id,
    };
    if (signal) request.signal = signal;
    if (deadline) request.deadline = deadline;
    const res = await this.#o.exchange.send(request);
    const answer = await this.#answer(res, id, signal, onMessage, takeBytes);
    if (answer === DELIVERED) {
      const value = { jsonrpc: "2.0", id, result: {} };
      return { text: "", status: res.status, envelope: { kind: "response", id, value }, delivered: true };
    }
    const [text, envelope] = answer;
    return { text, status: res.status, envelope };
  }

  /** Offers a large result response to the request to `takeBytes`: whether it took it. */
  async #offer(bytes: Uint8Array, id: JsonRpcId, takeBytes: TakeBytes | undefined): Promise<boolean> {
    if (takeBytes === undefined || bytes.length < BYTES_EVENT_MIN) return false;
    const scanned = scanResponse(bytes);
    if (scanned === undefined || scanned.id !== id || !(await takeBytes(bytes, scanned))) return false;
    this.#o.log.debug(
      `The answer to ${JSON.stringify(id)} (${formatBytes(bytes.length)}) goes to the host as it came`,
    );
    return true;
  }

  async #answer(
    res: Response,
    id: JsonRpcId,
    signal: AbortSignal | undefined,
    onMessage: StreamMessageHandler,
    takeBytes: TakeBytes | undefined,
  ): Promise<[string, Envelope] | typeof DELIVERED> {
    if (!res.ok) {
      const failure = await failureFromResponse(res, this.url, id);
      // A modern server answers protocol errors (unsupported version, header mismatch, unknown
      // method) with a 4xx whose body is the JSON-RPC error: that is the answer.
      if (failure.serverResponse !== undefined) {
        return [failure.serverResponse, parseMessage(failure.serverResponse)];
      }
      throw failure;
    }
    if (res.status === 202 || res.body === null) {
      await drain(res);
      throw new TransportError(
        `The server at ${this.url.host} accepted request ${
          JSON.stringify(id)
        } (HTTP ${res.status}) but sent no response`,
      );
    }
    if (isJson(res)) {
      const body = await readBodyBytes(res, this.#max, this.#what);
      if (body.gathered !== undefined) {
        let taken = false;
        try {
          taken = await this.#offer(body.gathered.bytes(), id, takeBytes);
        } finally {
          if (taken) body.gathered.release();
        }
        if (taken) return DELIVERED;
      }
      const text = decodeBody(body);
      const envelope = parseMessage(text);
      if (envelope.kind === "response" && envelope.id === id) return [text, envelope];
      throw new TransportError(
        `The server at ${this.url.host} answered without a response to request ${JSON.stringify(id)}`,
      );
    }
    if (!isEventStream(res)) throw await unexpectedBody(res, this.url);
    let response: [string, Envelope] | typeof DELIVERED | undefined;
    const outcome = await readSseEvents(
      res.body,
      async (event) => {
        if (event.event !== "message") return false;
        let data = event.data;
        if (event.bytes !== undefined) {
          if (await this.#offer(event.bytes, id, takeBytes)) {
            response = DELIVERED;
            return true;
          }
          // As the text path decodes data (a byte order mark in it is data, not a mark to drop).
          data = new TextDecoder("utf-8", { ignoreBOM: true }).decode(event.bytes);
        }
        if (data.trim() === "") return false;
        const envelope = parseMessage(data);
        if (envelope.kind === "response" && envelope.id === id) {
          response = [data, envelope];
          return true;
        }
        if (envelope.kind === "invalid") {
          this.#o.log.warn(`Ignoring a message from the server that is not JSON-RPC (${envelope.reason})`);
          return false;
        }
        await onMessage(data, envelope);
        return false;
      },
      this.#limit,
      { bytes: takeBytes !== undefined },
    );
    if (response !== undefined) return response;
    if (signal?.aborted) throw new TransportError("The request was cancelled");
    if (outcome.error) {
      this.#o.log.debug(
        `Response stream of ${JSON.stringify(id)} broke: ${(outcome.error as Error).message}`,
      );
    }
    throw new StreamCutError(this.url.host);
  }

  /**
   * Holds a `subscriptions/listen` stream open, giving every notification to `onMessage`, until the
   * stream ends or `signal` aborts.
   *
   * @param body The request text.
   * @param headers The protocol headers.
   * @param signal Ends the subscription.
   * @param onMessage Receives each notification.
   * @param onOpen Called once the server answered (before the stream is read): it can be reached.
   * @returns How many notifications arrived on a stream (a JSON answer, such as an error, counts 0).
   */
  async listen(
    body: string,
    headers: readonly [string, string][],
    signal: AbortSignal,
    onMessage: StreamMessageHandler,
    onOpen?: () => void,
  ): Promise<number> {
    const res = await this.#o.exchange.send({
      method: "POST",
      headers: [...PROTOCOL_HEADERS, ...headers],
      body,
      signal,
      operation: "subscriptions/listen",
    });
    if (!res.ok) throw await failureFromResponse(res, this.url, undefined);
    onOpen?.();
    if (!isEventStream(res) || res.body === null) {
      // A JSON answer ends the subscription at once (e.g. an error): pass it on.
      const text = await readBodyText(
        res,
        this.#max,
        `the answer to subscriptions/listen from ${this.url.host}`,
      );
      const envelope = parseMessage(text);
      if (envelope.kind !== "invalid") await onMessage(text, envelope);
      return 0;
    }
    const outcome = await readSseEvents(res.body, async (event) => {
      if (event.event !== "message" || event.data.trim() === "") return false;
      const envelope = parseMessage(event.data);
      if (envelope.kind !== "invalid") await onMessage(event.data, envelope);
      return false;
    }, this.#limit);
    return outcome.events;
  }
}
