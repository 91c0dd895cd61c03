/**
 * How the items of a chunk of `map` come back: each item's result in place, in an array of
 * results, with a {@linkcode ChunkFailure} where an item failed. Successes cost no record of
 * their own, which is most of what a chunk of many small items would otherwise allocate.
 *
 * @module
 */

/**
 * A failed item among the results of a chunk (see {@linkcode BaseExecutor.startChunk} and
 * {@linkcode TaskWorker.attemptChunk}): it carries the item's exception. A task's own result is
 * never a `ChunkFailure`, since only tandem makes them.
 *
 * @example
 * ```ts
 * import { ChunkFailure } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * const results: unknown[] = [2, new ChunkFailure(new RangeError("odd")), 6];
 * const failed = results.filter((r) => r instanceof ChunkFailure);
 * assert.equal(failed.length, 1);
 * assert.ok((failed[0] as ChunkFailure).error instanceof RangeError);
 * ```
 */
export class ChunkFailure {
  /** The exception the item's call ended with. */
  readonly error: unknown;

  /**
   * Records a failed item.
   *
   * @param error The exception the item's call ended with.
   */
  constructor(error: unknown) {
    this.error = error;
  }
}
