/**
 * {@linkcode Hold}: a scoped acquisition, released on every exit path by `using`.
 *
 * @module
 */

/**
 * One acquisition of a lock, semaphore or condition, as a disposable: `using _ = lock.hold()` in
 * a worker, `await using _ = await lock.holdAsync()` anywhere. Disposing it releases what was
 * acquired, once, however the scope ends (Python: the `with lock:` statement). Made by the `hold`
 * and `holdAsync` methods, not by hand.
 *
 * @example Holding a lock for a scope
 * ```ts
 * import { Lock } from "@tandem/tandem/threads";
 * import assert from "node:assert/strict";
 *
 * const lock = new Lock();
 * {
 *   await using _held = await lock.holdAsync();
 *   assert.equal(lock.locked(), true);
 * }
 * assert.equal(lock.locked(), false);
 * ```
 */
export class Hold implements Disposable {
  /**
   * Whether this acquisition took a lock over from an isolate that died while holding it (see
   * `Lock.ownerDied`): the data the lock protects may be half-updated. Always `false` for a
   * semaphore.
   */
  readonly ownerDied: boolean;
  #release: (() => void) | undefined;

  /**
   * Wraps an acquisition. Called by `hold`/`holdAsync`.
   *
   * @param release Releases what was acquired; called at most once.
   * @param ownerDied Whether the acquisition took over a dead owner's lock.
   */
  constructor(release: () => void, ownerDied = false) {
    this.#release = release;
    this.ownerDied = ownerDied;
  }

  /** Whether this hold has been released. */
  get released(): boolean {
    return this.#release === undefined;
  }

  /**
   * Releases now, before the scope ends; the later disposal then does nothing.
   *
   * @throws {Error} If the release itself fails (for example, the lock was already released by
   * a direct `release()` call).
   *
   * @example
   * ```ts
   * import { Lock } from "@tandem/tandem/threads";
   * import assert from "node:assert/strict";
   *
   * const lock = new Lock();
   * using held = await lock.holdAsync();
   * held.release();
   * assert.equal(lock.locked(), false);
   * assert.equal(held.released, true);
   * ```
   */
  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Releases, unless already released. */
  [Symbol.dispose](): void {
    this.release();
  }
}
