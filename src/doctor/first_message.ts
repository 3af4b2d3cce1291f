/**
 * Reads the first JSON-RPC message of an answer: the JSON body, or the first event of an event stream
 * (without waiting for the stream to end). Bounded in size.
 *
 * @module
 */

/** The most bytes read from an answer. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The data of the first SSE event that has any, from the text read so far; `undefined` until an event
 * is complete.
 *
 * @example Usage
 * ```ts
 * import { firstEventData } from "./first_message.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(firstEventData("event: message\ndata: {\"id\":0}\n\n"), '{"id":0}');
 * assert.equal(firstEventData(": ping\n\ndata: a\ndata: b\n\n"), "a\nb");
 * assert.equal(firstEventData("data: partial"), undefined);
 * ```
 *
 * @param text The stream's text so far.
 * @returns The event's data, or `undefined`.
 */
export function firstEventData(text: string): string | undefined {
  const blocks = text.replace(/\r\n?/g, "\n").split("\n\n");
  for (const block of blocks.slice(0, -1)) {
    const data = block.split("\n").filter((line) => line.startsWith("data:")).map((line) =>
      line.slice(5).replace(/^ /, "")
    );
    if (data.length > 0) return data.join("\n");
  }
  return undefined;
}

/**
 * Reads the first message of an answer and cancels the rest of its body.
 *
 * @example Usage
 * ```ts
 * import { readFirstMessage } from "./first_message.ts";
 * import assert from "node:assert/strict";
 *
 * const res = new Response('{"jsonrpc":"2.0","id":0,"result":{}}', { headers: { "content-type": "application/json" } });
 * assert.deepEqual(await readFirstMessage(res), { jsonrpc: "2.0", id: 0, result: {} });
 * ```
 *
 * @param res The response.
 * @returns The parsed message, or `undefined` when none could be read.
 */
export async function readFirstMessage(res: Response): Promise<unknown> {
  if (!res.body) return undefined;
  const stream = /event-stream/i.test(res.headers.get("content-type") ?? "");
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (text.length < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
      if (stream && firstEventData(text) !== undefined) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const data = stream ? firstEventData(`${text}\n\n`) : text;
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
