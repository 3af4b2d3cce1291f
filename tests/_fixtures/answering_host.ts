/**
 * A host that answers the server's sampling, elicitation and roots requests with fixed, recognisable
 * values, and records what it was asked: the same answers for every test of server-to-host requests,
 * whichever era the host speaks.
 *
 * @module
 */

import type { HostOptions } from "./bridge_host.ts";

/** The text of the host's sampling answer. */
export const SAMPLED_TEXT = "stubbed completion ✓";
/** The root the host lists. */
export const HOST_ROOT = { uri: "file:///tmp/bridge-root", name: "bridge-root" };

/** The content of an accepted elicitation: form fields and their values. */
export type ElicitedContent = Record<string, string | number | boolean | string[]>;

/** What the host was asked. */
export interface AskedOfHost {
  /** The text of the first message of each sampling request. */
  samplingPrompts: string[];
  /** The message of each elicitation request. */
  elicitationMessages: string[];
  /** How many times the roots were listed. */
  rootsRequests: number;
}

/**
 * Host options that declare sampling, form elicitation and roots and answer them.
 *
 * @param elicited The content of the (accepted) elicitation answer.
 * @returns The options for `connectHost`, and the record of what was asked.
 */
export function answeringHost(
  elicited: ElicitedContent,
): { options: HostOptions; asked: AskedOfHost } {
  const asked: AskedOfHost = { samplingPrompts: [], elicitationMessages: [], rootsRequests: 0 };
  const options: HostOptions = {
    clientOptions: { capabilities: { sampling: {}, elicitation: { form: {} }, roots: {} } },
    setup: (client) => {
      client.setRequestHandler("sampling/createMessage", (request) => {
        const content = request.params.messages[0]!.content as { type: string; text?: string };
        asked.samplingPrompts.push(String(content.text));
        return {
          model: "stub-model-7",
          role: "assistant",
          content: { type: "text", text: SAMPLED_TEXT },
          stopReason: "endTurn",
        };
      });
      client.setRequestHandler("elicitation/create", (request) => {
        asked.elicitationMessages.push(String(request.params.message));
        return { action: "accept", content: elicited };
      });
      client.setRequestHandler("roots/list", () => {
        asked.rootsRequests++;
        return { roots: [{ ...HOST_ROOT }] };
      });
    },
  };
  return { options, asked };
}
