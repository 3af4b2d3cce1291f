/**
 * "Did you mean …?" for the command line: the closest known word to a typo, and the URL a server
 * address without a scheme was meant to be. Pure.
 *
 * @module
 */

import { isLoopbackHost } from "../net/address.ts";

/**
 * The edit distance between two words: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each count 1 (optimal string alignment).
 *
 * @example Usage
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(editDistance("clinet", "client"), 1);
 * assert.equal(editDistance("heder", "header"), 1);
 * assert.equal(editDistance("status", "status"), 0);
 * ```
 *
 * @param a One word.
 * @param b The other.
 * @returns The number of edits that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push(Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known word closest to a typo, when it is close enough to be what was meant: at most one edit
 * for words of up to five characters, two up to eight, three beyond. Case is ignored; on a tie the
 * first candidate wins.
 *
 * @example Usage
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(didYouMean("clinet", ["client", "login", "logout", "status"]), "client");
 * assert.equal(didYouMean("deploy", ["client", "login", "logout", "status"]), undefined);
 * ```
 *
 * @param word What was typed.
 * @param candidates The known words.
 * @returns The closest candidate, or `undefined` when none is close.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const typed = word.toLowerCase();
  const limit = typed.length <= 5 ? 1 : typed.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/**
 * The URL meant by a server address written without a scheme (`example.com/mcp`,
 * `localhost:3000/mcp`): `https://` in front, or `http://` for a loopback host, as local servers
 * rarely have a certificate. `undefined` when the text has a scheme, or does not make a URL with a
 * plausible host (a name with a dot, `localhost`, or an IP address) even then.
 *
 * @example Usage
 * ```ts
 * import { urlWithScheme } from "./suggest.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(urlWithScheme("example.com/mcp"), "https://example.com/mcp");
 * assert.equal(urlWithScheme("localhost:3000/mcp"), "http://localhost:3000/mcp");
 * assert.equal(urlWithScheme("https://example.com/mcp"), undefined);
 * assert.equal(urlWithScheme("clinet"), undefined);
 * ```
 *
 * @param text The server address as written.
 * @returns The URL with a scheme, or `undefined`.
 */
export function urlWithScheme(text: string): string | undefined {
  if (text.includes("://") || /\s/.test(text) || text.startsWith("/")) return undefined;
  let url: URL;
  try {
    url = new URL(`https://${text}`);
  } catch {
    return undefined;
  }
  const host = url.hostname;
  const loopback = isLoopbackHost(host);
  if (!loopback && !host.includes(".") && !host.startsWith("[")) return undefined;
  return `${loopback ? "http" : "https"}://${text}`;
}
