/**
 * The router between the host (stdio) and the remote server (a {@linkcode RemoteTransport}).
 * It peeks at envelopes, keeps the host's pending requests, answers locally where it must, and
 * guarantees exactly one response per host request.
 *
 * @module
 */

import {
  type Envelope,
  ErrorCode,
  errorResponse,
  idKey,
  type JsonRpcId,
  parseMessage,
} from "../jsonrpc/message.ts";
import type { Logger } from "../log/logger.ts";
import type { HostLine } from "../stdio/line_reader.ts";
import { type RemoteTransport, TransportError } from "../transport/transport.ts";
import type { ToolFilter } from "./tool_filter.ts";

/** Where the bridge writes messages for the host. */
export interface HostOutput {
  /** Writes one JSON-RPC message (one line). */
  write(text: string): Promise<void>;
  /** Writes one JSON-RPC message given as UTF-8 bytes with no line break, read only during the call. */
  writeBytes?(bytes: Uint8Array): Promise<void>;
}

/** Options for {@linkcode Bridge}. */
export interface BridgeOptions {
  /** The connection to the remote server; its sink must be {@linkcode Bridge.fromServer}. */
  transport: RemoteTransport;
  /** The host's stdout. */
  out: HostOutput;
  /** The logger. */
  log: Logger;
  /** Tool filters. */
  filter: ToolFilter;
  /** `--request-timeout`: the longest wait for the answer to a host request (none by default). */
  requestTimeoutMs?: number;
}

interface Pending {
  id: JsonRpcId;
  method: string;
  abort: AbortController;
  /** The `--request-timeout` timer. */
  timer?: ReturnType<typeof setTimeout>;
}

/** The router. */
export class Bridge {
  #o: BridgeOptions;
  #pending = new Map<string, Pending>();
  /** How many messages handed to the transport (or answers being written) are not through yet. */
  #inFlight = 0;
  /** Who waits in {@linkcode Bridge.drain} for `#inFlight` to reach 0. */
  #drainers: (() => void)[] = [];
  /** Counts one tracked promise out (one function for all of them). */
  #done = (): void => {
    if (--this.#inFlight > 0 || this.#drainers.length === 0) return;
    const drainers = this.#drainers;
    this.#drainers = [];
    for (const resolve of drainers) resolve();
  };

  /**
   * Creates the router.
   *
   * @example Usage
   * ```ts
   * import { Bridge } from "./bridge.ts";
   * import { ToolFilter } from "./tool_filter.ts";
   * import { Logger } from "../log/logger.ts";
   * import { parseMessage } from "../jsonrpc/message.ts";
   * import type { RemoteTransport } from "../transport/transport.ts";
   * import assert from "node:assert/strict";
   *
   * // A transport of your own: this one answers every request at once with an empty result.
   * const transport: RemoteTransport = {
   *   kind: "in-process",
   *   send: async (_text, envelope) => {
   *     if (envelope.kind !== "request") return;
   *     const answer = JSON.stringify({ jsonrpc: "2.0", id: envelope.id, result: {} });
   *     await bridge.fromServer(answer, parseMessage(answer));
   *   },
   *   close: () => Promise.resolve(),
   * };
   * const lines: string[] = [];
   * const bridge: Bridge = new Bridge({
   *   transport,
   *   out: { write: async (text) => void lines.push(text) },
   *   log: new Logger({ level: "error" }),
   *   filter: new ToolFilter([], []),
   * });
   * await bridge.fromHost({ text: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
   * await bridge.drain();
   * assert.deepEqual(lines.map((line) => JSON.parse(line)), [{ jsonrpc: "2.0", id: 1, result: {} }]);
   * ```
   *
   * @param options The transport, output, logger and filters.
   */
  constructor(options: BridgeOptions) {
    this.#o = options;
  }

  /** How many host requests await a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Handles one line from the host. It returns once the message is on its way; it waits for the
   * delivery only where order matters (`notifications/initialized`).
   *
   * @param line The line (or why it could not be read).
   */
  async fromHost(line: HostLine): Promise<void> {
    if ("error" in line) {
      await this.#o.out.write(
        this.#error(null, ErrorCode.ParseError, `Cannot read the message: ${line.error}`),
      );
      return;
    }
    const envelope = parseMessage(line.text);
    switch (envelope.kind) {
      case "invalid":
        if (envelope.reason.startsWith("parse:")) {
          await this.#o.out.write(
            this.#error(
              null,
              ErrorCode.ParseError,
              `Cannot parse the message as JSON: ${envelope.reason.slice(7)}`,
            ),
          );
        } else {
          await this.#o.out.write(
            this.#error(
              envelope.id,
              ErrorCode.InvalidRequest,
              `Invalid JSON-RPC message: ${envelope.reason}`,
            ),
          );
        }
        return;
      case "request":
        // A local answer (a blocked tool, a reused id) is awaited: a host that does not read stdout slows
        // its own sending instead of growing the queue.
        await this.#request(line.text, envelope);
        return;
      case "notification":
        if (envelope.method === "notifications/cancelled") return this.#cancel(line.text, envelope);
        if (envelope.method === "notifications/initialized") {
          // Later requests must not overtake it on a parallel connection.
          return await this.#forward(line.text, envelope);
        }
        this.#track(this.#forward(line.text, envelope));
        return;
      case "response":
        this.#track(this.#forward(line.text, envelope));
        return;
    }
  }

  /**
   * The transport's sink: every message from the server comes through here.
   *
   * @param text The message text.
   * @param envelope Its envelope.
   */
  fromServer = async (text: string, envelope: Envelope): Promise<void> => {
    if (envelope.kind !== "response") {
      await this.#o.out.write(text);
      return;
    }
    const key = envelope.id === null ? undefined : idKey(envelope.id);
    const pending = key === undefined ? undefined : this.#pending.get(key);
    if (pending === undefined) {
      this.#o.log.debug(
        `Dropping a response to ${JSON.stringify(envelope.id)}: no host request is waiting for it`,
      );
      return;
    }
    this.#settle(key!, pending);
    const out = "error" in envelope.value
      ? this.#cleanServerError(text, envelope.value)
      : pending.method === "tools/list" && this.#o.filter.active
      ? this.#o.filter.filterListResponse(text)
      : text;
    await this.#o.out.write(out);
  };

  /**
   * The transport's sink for a large result response as the bytes it came in (`sinkBytes`): written to the
   * host as they are, unless the bridge must read it (a filtered `tools/list`, an unknown id).
   *
   * @param bytes The response: one JSON-RPC result response with no line break, valid UTF-8.
   * @param id Its id.
   */
  fromServerBytes = async (bytes: Uint8Array, id: JsonRpcId): Promise<void> => {
    const key = idKey(id);
    const pending = this.#pending.get(key);
    const out = this.#o.out;
    if (
      pending === undefined || (pending.method === "tools/list" && this.#o.filter.active) || !out.writeBytes
    ) {
      const text = new TextDecoder().decode(bytes);
      await this.fromServer(text, parseMessage(text));
      return;
    }
    this.#settle(key, pending);
    await out.writeBytes(bytes);
  };

  /** Waits until every message handed to the transport was sent or failed. */
  async drain(): Promise<void> {
    while (this.#inFlight > 0) await new Promise<void>((resolve) => this.#drainers.push(resolve));
  }

  /**
   * Answers every request still waiting with an error (a host may still read stdout), aborts
   * what is in flight and closes the transport.
   *
   * @param why Why the bridge stops, for the error messages.
   */
  async close(why = "the bridge is shutting down"): Promise<void> {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of waiting) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.abort.abort();
      void this.#o.out.write(
        this.#error(
          pending.id,
          ErrorCode.TransportError,
          `No response from the server before mcp-bridge stopped: ${why}`,
        ),
      );
    }
    await this.#o.transport.close();
  }

  async #request(text: string, envelope: Extract<Envelope, { kind: "request" }>): Promise<void> {
    const { id, method } = envelope;
    if (method === "tools/call" && this.#o.filter.active) {
      const name = (envelope.value.params as { name?: unknown } | undefined)?.name;
      const reason = typeof name === "string" ? this.#o.filter.blockReason(name) : undefined;
      if (reason !== undefined) {
        await this.#o.out.write(
          this.#error(id, ErrorCode.InvalidParams, `Tool "${name}" is not available: ${reason}`),
        );
        return;
      }
    }
    const key = idKey(id);
    if (this.#pending.has(key)) {
      // JSON-RPC ids of requests in flight must differ: the answers could not be told apart.
      await this.#o.out.write(
        this.#error(
          id,
          ErrorCode.InvalidRequest,
          `Invalid request: id ${JSON.stringify(id)} is already used by a request in flight`,
        ),
      );
      return;
    }
    const pending: Pending = { id, method, abort: new AbortController() };
    this.#pending.set(key, pending);
    const limit = this.#o.requestTimeoutMs;
    // initialize is bounded by --connect-timeout.
    if (limit !== undefined && method !== "initialize") {
      pending.timer = setTimeout(() => this.#timeOut(key, pending, limit), limit);
    }
    this.#track(this.#exchange(text, envelope, key, pending));
  }

  /** Sends a host request and, once the transport is through with it, answers it if nothing else did. */
  async #exchange(
    text: string,
    envelope: Extract<Envelope, { kind: "request" }>,
    key: string,
    pending: Pending,
  ): Promise<void> {
    let failure: unknown;
    try {
      await this.#o.transport.send(text, envelope, pending.abort.signal);
    } catch (error) {
      failure = error;
    }
    // Usually the response went to the host already (fromServer settled it).
    if (this.#pending.get(key) === pending) await this.#answerIfStillPending(key, pending, failure);
  }

  async #answerIfStillPending(key: string, pending: Pending, error: unknown): Promise<void> {
    if (this.#pending.get(key) !== pending) return;
    this.#settle(key, pending);
    if (pending.abort.signal.aborted) return;
    if (error instanceof TransportError && error.serverResponse !== undefined) {
      const response = parseMessage(error.serverResponse);
      await this.#o.out.write(
        response.kind === "response"
          ? this.#cleanServerError(error.serverResponse, response.value)
          : error.serverResponse,
      );
      return;
    }
    const message = error === undefined
      ? `The server ended the exchange of request ${JSON.stringify(pending.id)} without a response: try again`
      : error instanceof TransportError
      ? error.message
      : `Internal error in mcp-bridge: ${(error as Error)?.message ?? String(error)}`;
    if (!(error instanceof TransportError)) this.#o.log.error(`${message}\n${(error as Error)?.stack ?? ""}`);
    else this.#o.log.warn(`${pending.method} (id ${JSON.stringify(pending.id)}) failed: ${message}`);
    const data = error instanceof TransportError && error.status !== undefined
      ? { status: error.status }
      : undefined;
    await this.#o.out.write(this.#error(pending.id, ErrorCode.TransportError, message, data));
  }

  /**
   * A server's own JSON-RPC error, forwarded as it is unless it carries a secret (a server that
   * echoes the token it received): then the response is redacted whole, and rebuilt from its code
   * and message should redaction break its JSON. Results are never touched (they pass through raw);
   * errors are rare and small.
   */
  #cleanServerError(text: string, value: Record<string, unknown>): string {
    const cleaned = this.#o.log.redact(text);
    if (cleaned === text) return text;
    try {
      JSON.parse(cleaned);
      return cleaned;
    } catch {
      // Redaction broke the JSON (a secret across a quote): keep only what is safe to rebuild.
      const error = value.error as { code?: unknown; message?: unknown } | undefined;
      const message = typeof error?.message === "string" ? this.#o.log.redact(error.message) : "[redacted]";
      const code = typeof error?.code === "number" ? error.code : ErrorCode.InternalError;
      return JSON.stringify({ jsonrpc: "2.0", id: value.id ?? null, error: { code, message } });
    }
  }

  /**
   * An error response the bridge composes itself. Its message may quote the server (an error
   * body) or the host, so it passes through the logger's redactor, the one that cleans stderr and
   * the debug log. The server's own JSON-RPC errors are cleaned by `#cleanServerError`.
   */
  #error(id: JsonRpcId | null, code: number, message: string, data?: unknown): string {
    return errorResponse(id, code, this.#o.log.redact(message), data);
  }

  async #forward(text: string, envelope: Envelope): Promise<void> {
    try {
      await this.#o.transport.send(text, envelope);
    } catch (error) {
      const what = envelope.kind === "notification" ? envelope.method : "a response";
      this.#o.log.warn(`Cannot deliver ${what} to the server: ${(error as Error).message}`);
    }
  }

  #cancel(text: string, envelope: Extract<Envelope, { kind: "notification" }>): void {
    const requestId = (envelope.value.params as { requestId?: unknown } | undefined)?.requestId;
    const key = typeof requestId === "string" || typeof requestId === "number" ? idKey(requestId) : undefined;
    const pending = key === undefined ? undefined : this.#pending.get(key);
    this.#track(
      this.#forward(text, envelope).then(() => {
        // The host gave up on the request: it expects no response, so stop waiting for one.
        if (pending && this.#pending.get(key!) === pending) {
          this.#settle(key!, pending);
          pending.abort.abort();
        }
      }),
    );
  }

  /** The request is answered (or given up): it waits no more. */
  #settle(key: string, pending: Pending): void {
    this.#pending.delete(key);
    // Only with --request-timeout: touching Deno's global timers costs ~10 ms on the first answer.
    if (pending.timer !== undefined) clearTimeout(pending.timer);
  }

  /**
   * `--request-timeout` ran out: the host gets its one error, the bridge stops waiting, and the server is
   * asked to cancel the request (a `notifications/cancelled` of the host's era, translated like the host's own).
   */
  #timeOut(key: string, pending: Pending, ms: number): void {
    if (this.#pending.get(key) !== pending) return;
    this.#settle(key, pending);
    pending.abort.abort();
    const message =
      `No response to ${pending.method} (id ${JSON.stringify(pending.id)}) within ${ms / 1000} s ` +
      "(--request-timeout): mcp-bridge asked the server to cancel it, but the server may have run it";
    this.#o.log.warn(message);
    this.#track(this.#o.out.write(this.#error(pending.id, ErrorCode.TransportError, message)));
    const cancel = JSON.stringify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: pending.id, reason: "mcp-bridge --request-timeout" },
    });
    this.#track(this.#forward(cancel, parseMessage(cancel)));
  }

  /** Counts a promise in until it settles; one that fails (it should not) is logged, not left unhandled. */
  #track(promise: Promise<void>): void {
    this.#inFlight++;
    promise.then(this.#done, this.#failed);
  }

  /** A tracked promise failed: a bug of the bridge's, reported (an answer may be missing). */
  #failed = (error: unknown): void => {
    this.#done();
    this.#o.log.error(`Internal error in mcp-bridge: ${(error as Error)?.stack ?? String(error)}`);
  };
}
