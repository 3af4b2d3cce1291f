/**
 * Following `nextCursor` through a paginated list (`tools/list`, `resources/list`, …) with an end:
 * a server that repeats a cursor or never stops paginating cannot keep the bridge looping. Pure.
 *
 * @module
 */

/** The most pages one listing follows. */
export const MAX_PAGES = 1000;

/** The longest cursor kept (cursors are opaque tokens; a megabyte one is an attack on memory). */
export const MAX_CURSOR_CHARS = 4096;

/** Follows the cursors of one listing. */
export class Pagination {
  #seen = new Set<string>();
  #pages = 0;
  #what: string;
  #maxPages: number;

  /**
   * Starts a listing.
   *
   * @example Usage
   * ```ts
   * import { Pagination } from "./pagination.ts";
   * import assert from "node:assert/strict";
   *
   * const pages = new Pagination("tools/list from example.com");
   * assert.equal(pages.next({ tools: [], nextCursor: "2" }), "2");
   * assert.throws(() => pages.next({ tools: [], nextCursor: "2" }), /repeated a cursor/);
   * ```
   *
   * @param what What is listed, for the error (`tools/list from example.com`).
   * @param maxPages The most pages to follow.
   */
  constructor(what: string, maxPages: number = MAX_PAGES) {
    this.#what = what;
    this.#maxPages = maxPages;
  }

  /**
   * The cursor of the next page, or `undefined` when the listing is complete.
   *
   * @param result A page's result.
   * @returns The next cursor.
   * @throws {RangeError} When the server repeats a cursor, sends one longer than
   *   {@linkcode MAX_CURSOR_CHARS}, or goes past the page limit.
   */
  next(result: Record<string, unknown> | undefined): string | undefined {
    this.#pages++;
    const cursor = result?.nextCursor;
    if (typeof cursor !== "string" || cursor === "") return undefined;
    if (cursor.length > MAX_CURSOR_CHARS) {
      throw new RangeError(
        `Cannot finish ${this.#what}: the server sent a cursor of ${cursor.length} characters`,
      );
    }
    if (this.#seen.has(cursor)) {
      throw new RangeError(
        `Cannot finish ${this.#what}: the server repeated a cursor, so the list never ends`,
      );
    }
    if (this.#pages >= this.#maxPages) {
      throw new RangeError(`Cannot finish ${this.#what}: it goes on past ${this.#maxPages} pages`);
    }
    this.#seen.add(cursor);
    return cursor;
  }
}
