/**
 * What a bridge remembers of a server's protocol era between runs, so that a server known to speak
 * only the 2025 era is not probed with `server/discover` at every start (one round trip saved). The
 * memory is a hint, never trusted blindly: when the server answers the other era's way, the bridge
 * probes again and the memory is corrected.
 *
 * @module
 */

/** A server's protocol era: 2025 (`initialize`, sessions) or 2026-07-28 (`server/discover`, `_meta`). */
export type ServerEra = "legacy" | "modern";

/** Where the era of one server is remembered (a file in the config dir, or nothing). */
export interface EraMemory {
  /** The era remembered for the server, if any and still fresh; never throws. */
  recall(): Promise<ServerEra | undefined>;
  /** Remembers the era the server answered in; best effort, never throws. */
  remember(era: ServerEra): Promise<void>;
}

/**
 * An era memory that lives as long as the process (for tests and embedders without a config dir).
 *
 * @example Usage
 * ```ts
 * import { ProcessEraMemory } from "./era_memory.ts";
 * import assert from "node:assert/strict";
 *
 * const memory = new ProcessEraMemory();
 * assert.equal(await memory.recall(), undefined);
 * await memory.remember("legacy");
 * assert.equal(await memory.recall(), "legacy");
 * ```
 */
export class ProcessEraMemory implements EraMemory {
  #era: ServerEra | undefined;

  /**
   * The era remembered, if any.
   *
   * @returns The era.
   */
  recall(): Promise<ServerEra | undefined> {
    return Promise.resolve(this.#era);
  }

  /**
   * Remembers an era.
   *
   * @param era The era.
   */
  remember(era: ServerEra): Promise<void> {
    this.#era = era;
    return Promise.resolve();
  }
}
