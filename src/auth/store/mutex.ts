/**
 * An in-process mutex per string key, with a bounded wait. Waiters are served in arrival order.
 *
 * @module
 */

/** Releases a held key; calling it more than once does nothing. */
export type Release = () => void;

/**
 * A set of in-process mutexes, one per key.
 *
 * @example Usage
 * ```ts
 * import { KeyedMutex } from "./mutex.ts";
 * import assert from "node:assert/strict";
 *
 * const mutex = new KeyedMutex();
 * const release = await mutex.acquire("k", 0, () => new Error("Busy"));
 * await assert.rejects(() => mutex.acquire("k", 0, () => new Error("Busy")), /Busy/);
 * release();
 * ```
 */
export class KeyedMutex {
  /** Held keys, each with its queue of waiters. */
  #queues = new Map<string, (() => void)[]>();

  /**
   * Waits for a key and holds it.
   *
   * @example Usage
   * ```ts
   * import { KeyedMutex } from "./mutex.ts";
   * import assert from "node:assert/strict";
   *
   * const mutex = new KeyedMutex();
   * const release = await mutex.acquire("k", 1000, () => new Error("Timed out"));
   * assert.equal(mutex.isHeld("k"), true);
   * release();
   * assert.equal(mutex.isHeld("k"), false);
   * ```
   *
   * @param key The key.
   * @param waitMs How long to wait at most (0: fail at once when held).
   * @param onTimeout Builds the error thrown when the wait runs out.
   * @returns The function that releases the key.
   */
  acquire(key: string, waitMs: number, onTimeout: () => Error): Promise<Release> {
    const queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, []);
      return Promise.resolve(this.#releaser(key));
    }
    if (waitMs <= 0) return Promise.reject(onTimeout());
    return new Promise<Release>((resolve, reject) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(this.#releaser(key));
      };
      const timer = setTimeout(() => {
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(onTimeout());
      }, waitMs);
      queue.push(waiter);
    });
  }

  /**
   * Whether a key is held now.
   *
   * @example Usage
   * ```ts
   * import { KeyedMutex } from "./mutex.ts";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new KeyedMutex().isHeld("k"), false);
   * ```
   *
   * @param key The key.
   * @returns True while some caller holds it.
   */
  isHeld(key: string): boolean {
    return this.#queues.has(key);
  }

  #releaser(key: string): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#queues.get(key);
      const next = queue?.shift();
      if (next) next();
      else this.#queues.delete(key);
    };
  }
}
