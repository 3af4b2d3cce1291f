/**
 * Era detection on Streamable HTTP: classifying the server's HTTP answer to a first modern-era request
 * (2026-07-28 streamable-http § Backward Compatibility, versioning § Backward Compatibility). Pure: the
 * caller sends the probe and hands over status, content type and body text.
 *
 * @module
 */

import { SseParser } from "../transport/sse_parser.ts";

import { ErrorCode } from "../jsonrpc/message.ts";

/** `HeaderMismatch` (see {@linkcode ErrorCode}). */
export const HEADER_MISMATCH: number = ErrorCode.HeaderMismatch;
/** `MissingRequiredClientCapability` (see {@linkcode ErrorCode}). */
export const MISSING_REQUIRED_CLIENT_CAPABILITY: number = ErrorCode.MissingRequiredClientCapability;
/** `UnsupportedProtocolVersion` (see {@linkcode ErrorCode}). */
export const UNSUPPORTED_PROTOCOL_VERSION: number = ErrorCode.UnsupportedProtocolVersion;
/** JSON-RPC `Method not found`; a modern server answers an unknown method with HTTP 404 and this code. */
export const METHOD_NOT_FOUND: number = ErrorCode.MethodNotFound;

/** The HTTP answer to the probe. */
export interface ProbeAnswer {
  /** The HTTP status. */
  status: number;
  /** The `Content-Type` header, or `null` when absent. */
  contentType: string | null;
  /** The body text (for an SSE body, what has been read so far is enough once it holds the response). */
  body: string;
}

/** A JSON-RPC error object as received. */
export interface ProbeError {
  /** The error code. */
  code: number;
  /** The error message (`""` when the server sent none). */
  message: string;
  /** The error data, when present. */
  data?: unknown;
}

/** The verdict. */
export type ProbeVerdict =
  | { era: "modern"; error?: ProbeError }
  | { era: "modern"; unsupported: string[]; error: ProbeError }
  | { era: "legacy" }
  | { era: "unknown"; status: number };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isResponse(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && !("method" in value) && ("result" in value || "error" in value);
}

/** The first JSON-RPC response in the body: the JSON object itself, or the first SSE message holding one. */
function firstResponse(answer: ProbeAnswer): Record<string, unknown> | undefined {
  if (mediaType(answer.contentType) === "text/event-stream") {
    const parser = new SseParser();
    // The trailing blank line dispatches a last event that was read completely but not yet terminated.
    for (const event of parser.push(`${answer.body}\n\n`)) {
      if (event.event !== "message") continue;
      const value = parseJson(event.data);
      if (isResponse(value)) return value;
    }
    return undefined;
  }
  const value = parseJson(answer.body);
  return isResponse(value) ? value : undefined;
}

function errorOf(response: Record<string, unknown> | undefined): ProbeError | undefined {
  const error = response?.error;
  if (!isRecord(error) || typeof error.code !== "number" || !Number.isInteger(error.code)) return undefined;
  const out: ProbeError = {
    code: error.code,
    message: typeof error.message === "string" ? error.message : "",
  };
  if ("data" in error) out.data = error.data;
  return out;
}

function supportedList(data: unknown): string[] | undefined {
  if (!isRecord(data) || !Array.isArray(data.supported)) return undefined;
  return data.supported.every((v) => typeof v === "string") ? [...data.supported] : undefined;
}

/** A recognised modern error: the codes the 2026-07-28 spec defines, with a usable version list for −32022. */
function modernVerdict(error: ProbeError | undefined): ProbeVerdict | undefined {
  if (error === undefined) return undefined;
  if (error.code === UNSUPPORTED_PROTOCOL_VERSION) {
    const supported = supportedList(error.data);
    return supported === undefined ? undefined : { era: "modern", unsupported: supported, error };
  }
  if (error.code === HEADER_MISMATCH || error.code === MISSING_REQUIRED_CLIENT_CAPABILITY) {
    return { era: "modern", error };
  }
  return undefined;
}

/**
 * Classifies the HTTP answer to a modern-era probe request.
 *
 * - 401 and 403: `unknown` (authorization comes first; the probe is repeated after it).
 * - 2xx with a JSON-RPC result that carries `resultType` (modern servers MUST include it, earlier ones
 *   never do): `modern`; a result without it: `legacy`.
 * - 2xx with a JSON-RPC error: a recognised modern error (below) is `modern`; −32601 is `legacy` (a
 *   modern server answers an unknown method with 404); any other error is `unknown`.
 * - 400, 404, 405 and other 4xx: a recognised modern error is `modern` — −32022 with a `data.supported`
 *   string list (returned as `unsupported`), −32021, −32020 — and on 404 also −32601. Otherwise 400, 404
 *   and 405 are `legacy` (fall back to `initialize`, then possibly HTTP+SSE); other statuses `unknown`.
 * - 2xx without a JSON-RPC response, 3xx, 5xx: `unknown`.
 *
 * JSON and SSE bodies are both read; in an SSE body the first message that is a JSON-RPC response counts
 * (notifications before it are skipped).
 *
 * @example Usage
 * ```ts
 * import { classifyModernProbe } from "./detect.ts";
 * import assert from "node:assert/strict";
 *
 * const body = JSON.stringify({
 *   jsonrpc: "2.0",
 *   id: 1,
 *   error: { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28"], requested: "2027-01-01" } },
 * });
 * const verdict = classifyModernProbe({ status: 400, contentType: "application/json", body });
 * assert.equal(verdict.era, "modern");
 * assert.ok("unsupported" in verdict);
 * assert.deepEqual(verdict.unsupported, ["2026-07-28"]);
 * assert.deepEqual(classifyModernProbe({ status: 405, contentType: null, body: "" }), { era: "legacy" });
 * ```
 *
 * @param answer The status, content type and body of the answer.
 * @returns The era verdict.
 */
export function classifyModernProbe(answer: ProbeAnswer): ProbeVerdict {
  const { status } = answer;
  if (status === 401 || status === 403) return { era: "unknown", status };
  if (status >= 200 && status < 300) {
    const response = firstResponse(answer);
    if (response === undefined) return { era: "unknown", status };
    if ("result" in response) {
      const result = response.result;
      return isRecord(result) && typeof result.resultType === "string"
        ? { era: "modern" }
        : { era: "legacy" };
    }
    const error = errorOf(response);
    const modern = modernVerdict(error);
    if (modern !== undefined) return modern;
    return error?.code === METHOD_NOT_FOUND ? { era: "legacy" } : { era: "unknown", status };
  }
  if (status >= 400 && status < 500) {
    const error = errorOf(firstResponse(answer));
    const modern = modernVerdict(error);
    if (modern !== undefined) return modern;
    if (status === 404 && error?.code === METHOD_NOT_FOUND) return { era: "modern", error };
    if (status === 400 || status === 404 || status === 405) return { era: "legacy" };
  }
  return { era: "unknown", status };
}
