/**
 * HTTP helpers shared by the transports (private).
 *
 * @module
 */

import { type JsonRpcId, parseMessage } from "../jsonrpc/message.ts";
import { describeHttpFailure, describeUnexpectedBody, summarise } from "./http_errors.ts";
import { type BodyBytes, BodyTooLargeError, decodeBody, readBoundedBytes } from "../net/bounded_body.ts";
import { TransportError } from "./transport.ts";

/** Whether a response body is an event stream. */
export function isEventStream(res: Response): boolean {
  return (res.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
}

/** Whether a response body is JSON. */
export function isJson(res: Response): boolean {
  const type = (res.headers.get("content-type") ?? "").toLowerCase();
  return type.startsWith("application/json") || /^application\/[^;]*\+json/.test(type);
}

/**
 * Reads a whole body as text, at most `maxBytes` of it; past that a {@linkcode TransportError} (the
 * body is cancelled, nothing of it is kept).
 */
export async function readBodyText(res: Response, maxBytes: number, what: string): Promise<string> {
  return decodeBody(await readBodyBytes(res, maxBytes, what));
}

/**
 * Reads a whole body as bytes ({@linkcode readBoundedBytes}: release its `gathered` buffer), at most
 * `maxBytes` of it; past that a {@linkcode TransportError} (the body is cancelled, nothing of it is kept).
 */
export async function readBodyBytes(res: Response, maxBytes: number, what: string): Promise<BodyBytes> {
  try {
    return await readBoundedBytes(res, maxBytes, what);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new TransportError(
        `${error.message}: it was dropped; raise --max-message-size if the server is trusted`,
        {
          status: res.status,
          tooLarge: true,
        },
      );
    }
    throw error;
  }
}

/** Discards a body so that its connection can be reused. */
export async function drain(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

/** Reads at most `max` characters of a body, then cancels the rest. */
export async function readSnippet(res: Response, max = 2048): Promise<string> {
  if (!res.body) return "";
  // The body's own reader and a TextDecoder: a pipeThrough(TextDecoderStream) costs ~4 ms on its first use,
  // and the first one is the era probe's answer from a 2025-era server, on every start.
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < max) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return text;
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, max);
}

/**
 * Sleeps, waking early (without error) when the signal aborts. The timer is always cleared.
 *
 * @param ms How long.
 * @param signal Ends the sleep early.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The most specific reason in a network error's `cause` chain, without the URL prefix Deno adds
 * (`fetch failed` alone says nothing; `tcp connect error: Connection refused` does).
 */
export function networkReason(error: unknown): string {
  let deepest = error as { message?: string; cause?: unknown } | undefined;
  for (let depth = 0; depth < 5 && deepest?.cause instanceof Error; depth++) {
    deepest = deepest.cause as { message?: string; cause?: unknown };
  }
  const message = deepest?.message ?? String(error);
  // Deno says `error sending request for url (…)`, or `error sending request from A for URL (B)`.
  return message.replace(/^error sending request (?:from \S+ )?for (?:url )?\S*\s*\([^)]*\):\s*/, "").replace(
    /^client error \((\w+)\):\s*/,
    "",
  );
}

/**
 * Builds the error for a non-2xx answer. When the body is the server's own JSON-RPC error response
 * to the request, it is kept so that the router can forward it unchanged.
 */
export async function failureFromResponse(
  res: Response,
  url: URL,
  expectId: JsonRpcId | undefined,
): Promise<TransportError> {
  const body = await readSnippet(res, 8192);
  let serverResponse: string | undefined;
  if (expectId !== undefined && isJson(res)) {
    const env = parseMessage(body);
    if (env.kind === "response" && env.id === expectId) serverResponse = body;
  }
  const message = describeHttpFailure({
    host: url.host,
    path: url.pathname,
    status: res.status,
    statusText: res.statusText,
    contentType: res.headers.get("content-type"),
    body,
    // Only the HTTP+SSE stream's GET carries no request id.
    ...(expectId !== undefined ? { method: "POST" } : {}),
  });
  const detail = summarise(body, res.headers.get("content-type"));
  return new TransportError(message, { status: res.status, serverResponse, ...(detail ? { detail } : {}) });
}

/** Builds the error for a 2xx answer that is neither JSON nor an event stream. */
export async function unexpectedBody(res: Response, url: URL): Promise<TransportError> {
  const body = await readSnippet(res, 512);
  return new TransportError(
    describeUnexpectedBody(url.host, url.pathname, res.headers.get("content-type"), body),
    {
      status: res.status,
    },
  );
}
