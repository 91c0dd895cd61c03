import assert from "node:assert/strict";
import { TimeoutError } from "@tandem/tandem/futures";
import { pipeline, type StageContext, type StageFailure } from "@tandem/tandem/queue";
import { sleep } from "./_helpers.ts";
import { LoopExecutor } from "./_executor.ts";
import { failOnThree, slowTriple, triple } from "./_tasks.ts";

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** A source that counts how far it has been read and whether it was closed. */
function countingSource(count: number) {
  const stats = { pulled: 0, closed: false, exhausted: false };
  function* source(): Generator<number> {
    try {
      for (let i = 0; i < count; i++) {
        stats.pulled++;
        yield i;
      }
      stats.exhausted = true;
    } finally {
      stats.closed = true;
    }
  }
  return { stats, source: source() };
}

/** Counts calls in progress and the most seen at once. */
function gauge() {
  const state = { active: 0, peak: 0 };
  return {
    state,
    async around<T>(work: () => Promise<T>): Promise<T> {
      state.active++;
      state.peak = Math.max(state.peak, state.active);
      try {
        return await work();
      } finally {
        state.active--;
      }
    },
  };
}

// --- results and order -------------------------------------------------------------------------

Deno.test("pipeline() yields every result exactly once through several stages", async () => {
  const out = await Array.fromAsync(
    pipeline(range(200))
      .stage(async (n: number) => {
        await sleep(n % 2);
        return n + 1;
      }, { workers: 3 })
      .stage((n) => n * 2, { workers: 2, maxsize: 5 })
      .stage((n) => String(n), { workers: 4 }),
  );
  assert.deepEqual(out.map(Number).sort((a, b) => a - b), range(200).map((n) => (n + 1) * 2));
});

Deno.test("ordered output follows the source order even when later items finish first", async () => {
  const out = await Array.fromAsync(
    pipeline(range(30))
      .stage(async (n: number) => {
        await sleep((30 - n) % 7);
        return n;
      }, { workers: 5 })
      .stage(async (n) => {
        await sleep(n % 3);
        return n * 10;
      }, { workers: 3 })
      .run({ ordered: true }),
  );
  assert.deepEqual(out, range(30).map((n) => n * 10));
});

Deno.test("unordered output comes as results finish", async () => {
  const out = await Array.fromAsync(
    pipeline([0, 1, 2, 3]).stage(async (n: number) => {
      await sleep(n === 0 ? 40 : 1);
      return n;
    }, { workers: 4 }),
  );
  assert.equal(out.at(-1), 0);
  assert.deepEqual([...out].sort(), [0, 1, 2, 3]);
});

Deno.test("each stage runs up to its number of workers at once, and no more", async () => {
  const first = gauge();
  const second = gauge();
  await Array.fromAsync(
    pipeline(range(40))
      .stage((n: number) => first.around(() => sleep(2).then(() => n)), { workers: 4 })
      .stage((n) => second.around(() => sleep(1).then(() => n)), { workers: 2 }),
  );
  assert.equal(first.state.peak, 4);
  assert.equal(second.state.peak, 2);
});

Deno.test("a stage function gets the item's source index and a live signal", async () => {
  const seen: Array<[number, number, boolean]> = [];
  await Array.fromAsync(
    pipeline(["a", "b", "c"]).stage((s: string, context: StageContext) => {
      seen.push([context.index, "abc".indexOf(s), context.signal.aborted]);
      return s;
    }).stage((s, { index }) => `${s}${index}`),
  );
  assert.deepEqual(seen, [[0, 0, false], [1, 1, false], [2, 2, false]]);
});

Deno.test("a pipeline with no stages yields its source; async sources work too", async () => {
  assert.deepEqual(await Array.fromAsync(pipeline(new Set([1, 2, 3]))), [1, 2, 3]);
  async function* letters() {
    yield "x";
    await sleep(1);
    yield "y";
  }
  const out = await Array.fromAsync(pipeline(letters()).stage((s: string) => s.toUpperCase()));
  assert.deepEqual(out.sort(), ["X", "Y"]);
});

Deno.test("the builder is immutable: stage() returns a new pipeline and leaves the original as it was", async () => {
  const base = pipeline([1, 2, 3]);
  const doubled = base.stage((n: number) => n * 2);
  const negated = base.stage((n: number) => -n);
  assert.notEqual(doubled, base);
  assert.deepEqual(await Array.fromAsync(base.run({ ordered: true })), [1, 2, 3]);
  assert.deepEqual(await Array.fromAsync(doubled.run({ ordered: true })), [2, 4, 6]);
  assert.deepEqual(await Array.fromAsync(negated.run({ ordered: true })), [-1, -2, -3]);
});

Deno.test("nothing runs until the first next()", async () => {
  const { stats, source } = countingSource(10);
  const run = pipeline(source).stage((n: number) => n).run();
  await sleep(5);
  assert.equal(stats.pulled, 0);
  assert.deepEqual((await Array.fromAsync(run)).length, 10);
});

// --- backpressure ------------------------------------------------------------------------------

Deno.test("backpressure: with a slow last stage, the source is never read more than sum(maxsize + workers) ahead", async () => {
  const consumed = { count: 0 };
  let ahead = 0;
  function* source(): Generator<number> {
    for (let i = 0; i < 150; i++) {
      ahead = Math.max(ahead, i + 1 - consumed.count);
      yield i;
    }
  }
  const window = (3 + 2) + (2 + 1) + (4 + 3);
  for await (
    const _ of pipeline(source())
      .stage((n: number) => n, { workers: 2, maxsize: 3 })
      .stage((n) => Promise.resolve(n), { workers: 1, maxsize: 2 })
      .stage(async (n) => {
        await sleep(1);
        return n;
      }, { workers: 3, maxsize: 4 })
  ) {
    consumed.count++;
  }
  assert.equal(consumed.count, 150);
  assert.ok(ahead <= window, `read ${ahead} items ahead of the consumer; the bound is ${window}`);
  assert.ok(ahead >= window / 2, `read only ${ahead} ahead: the stages never filled up`);
});

Deno.test("backpressure: a slow consumer holds the source back just the same", async () => {
  let consumed = 0;
  let ahead = 0;
  function* source(): Generator<number> {
    for (let i = 0; i < 60; i++) {
      ahead = Math.max(ahead, i + 1 - consumed);
      yield i;
    }
  }
  const window = (2 + 2) + (1 + 1);
  for await (
    const _ of pipeline(source())
      .stage((n: number) => n, { workers: 2 })
      .stage((n) => n)
  ) {
    await sleep(1);
    consumed++;
  }
  assert.ok(ahead <= window, `read ${ahead} items ahead; the bound is ${window}`);
});

Deno.test("backpressure in ordered mode: a stuck first item does not let results pile up", async () => {
  let consumed = 0;
  let ahead = 0;
  function* source(): Generator<number> {
    for (let i = 0; i < 80; i++) {
      ahead = Math.max(ahead, i + 1 - consumed);
      yield i;
    }
  }
  const window = (4 + 4) + (2 + 2);
  const out: number[] = [];
  for await (
    const n of pipeline(source())
      .stage(async (n: number) => {
        await sleep(n === 0 ? 30 : 0);
        return n;
      }, { workers: 4 })
      .stage((n) => n, { workers: 2 })
      .run({ ordered: true })
  ) {
    out.push(n);
    consumed++;
  }
  assert.deepEqual(out, range(80));
  assert.ok(ahead <= window, `read ${ahead} items ahead; the bound is ${window}`);
});

// --- errors ------------------------------------------------------------------------------------

Deno.test("a failing item stops the pipeline: every worker stops, the source is closed, then the error is thrown", async () => {
  const { stats, source } = countingSource(1000);
  const calls = gauge();
  let stageSignal: AbortSignal | undefined;
  const boom = new Error("item 5 failed");
  const got: number[] = [];
  await assert.rejects(async () => {
    for await (
      const n of pipeline(source)
        .stage((n: number, { signal }) => {
          stageSignal = signal;
          return calls.around(() => sleep(n % 4).then(() => n));
        }, { workers: 3 })
        .stage((n) => {
          if (n === 5) throw boom;
          return n;
        }, { workers: 2 })
    ) got.push(n);
  }, (error) => error === boom);
  assert.equal(calls.state.active, 0, "a stage call was still running when the error came out");
  assert.equal(stats.closed, true);
  assert.equal(stats.exhausted, false);
  assert.equal(stageSignal?.aborted, true);
  assert.equal(stageSignal?.reason, boom);
  assert.ok(!got.includes(5));
  const pulled = stats.pulled;
  await sleep(10);
  assert.equal(stats.pulled, pulled, "the source was read after the pipeline stopped");
});

Deno.test("an error thrown by the source stops the pipeline and reaches the consumer", async () => {
  function* source(): Generator<number> {
    yield 1;
    yield 2;
    throw new SyntaxError("bad input");
  }
  const calls = gauge();
  await assert.rejects(
    Array.fromAsync(
      pipeline(source()).stage((n: number) => calls.around(() => sleep(2).then(() => n))),
    ),
    SyntaxError,
  );
  assert.equal(calls.state.active, 0);
  async function* failing(): AsyncGenerator<number> {
    yield 1;
    await sleep(1);
    throw new URIError("stream broke");
  }
  await assert.rejects(Array.fromAsync(pipeline(failing()).stage((n: number) => n)), URIError);
});

Deno.test("onError gets the error and the failed item; the pipeline goes on without the item", async () => {
  for (const ordered of [false, true]) {
    const failures: Array<[string, StageFailure]> = [];
    const out = await Array.fromAsync(
      pipeline(range(10))
        .stage((n: number) => n * 10, { workers: 2 })
        .stage(async (n) => {
          await sleep(n % 3);
          if (n % 30 === 0) throw new Error(`no ${n}`);
          return n;
        }, { workers: 3, name: "picky" })
        .run({
          ordered,
          onError: (error, failure) => void failures.push([(error as Error).message, failure]),
        }),
    );
    const expected = [10, 20, 40, 50, 70, 80];
    assert.deepEqual(ordered ? out : out.sort((a, b) => a - b), expected);
    assert.deepEqual(
      failures.sort((a, b) => a[1].index - b[1].index),
      [0, 3, 6, 9].map((
        i,
      ) => [`no ${i * 10}`, { item: i * 10, index: i, stage: 1, name: "picky" }]),
    );
  }
});

Deno.test("an onError handler that throws stops the pipeline with the handler's error", async () => {
  const { stats, source } = countingSource(100);
  await assert.rejects(
    Array.fromAsync(
      pipeline(source).stage((n: number) => {
        if (n === 4) throw new Error("item");
        return n;
      }).run({
        onError: () => {
          throw new TypeError("give up");
        },
      }),
    ),
    /give up/,
  );
  assert.equal(stats.closed, true);
});

// --- stopping early ----------------------------------------------------------------------------

Deno.test("leaving the loop early stops every worker and closes the source", async () => {
  const { stats, source } = countingSource(1000);
  const calls = gauge();
  let stageSignal: AbortSignal | undefined;
  const got: number[] = [];
  for await (
    const n of pipeline(source).stage((n: number, { signal }) => {
      stageSignal = signal;
      return calls.around(() => sleep(1).then(() => n));
    }, { workers: 4 })
  ) {
    got.push(n);
    if (got.length === 3) break;
  }
  assert.equal(calls.state.active, 0);
  assert.equal(stats.closed, true);
  assert.equal(stageSignal?.aborted, true);
  assert.equal((stageSignal?.reason as Error).name, "AbortError");
  const pulled = stats.pulled;
  await sleep(5);
  assert.equal(stats.pulled, pulled);
});

Deno.test("the run's signal stops the pipeline and the loop throws signal.reason", async () => {
  const { stats, source } = countingSource(1_000_000);
  const controller = new AbortController();
  const reason = new Error("user cancelled");
  let count = 0;
  await assert.rejects(async () => {
    for await (
      const _ of pipeline(source).stage(async (n: number) => {
        await sleep(0);
        return n;
      }, { workers: 2 }).run({ signal: controller.signal })
    ) {
      if (++count === 5) controller.abort(reason);
    }
  }, (error) => error === reason);
  assert.equal(stats.closed, true);
  await assert.rejects(
    Array.fromAsync(pipeline([1]).run({ signal: AbortSignal.abort(reason) })),
    (error) => error === reason,
  );
});

Deno.test("the run's timeout stops the pipeline with a TimeoutError and leaves no timer", async () => {
  async function* endless(): AsyncGenerator<number> {
    for (let i = 0;; i++) {
      await sleep(1);
      yield i;
    }
  }
  await assert.rejects(
    Array.fromAsync(pipeline(endless()).stage((n: number) => n).run({ timeout: 20 })),
    (error) =>
      error instanceof TimeoutError &&
      /Cannot finish the pipeline: timed out after 20 ms/.test(error.message),
  );
  // A run that finishes in time clears its timer (the op sanitizer would catch it).
  assert.deepEqual(await Array.fromAsync(pipeline([1]).run({ timeout: 60_000 })), [1]);
});

// --- executor stages ---------------------------------------------------------------------------

Deno.test("a stage on an executor submits its task with each item and yields the results", async () => {
  await using executor = new LoopExecutor(8);
  const out = await Array.fromAsync(
    pipeline(range(20))
      .stage(slowTriple, { executor, workers: 3 })
      .stage(triple, { executor, workers: 2 })
      .run({ ordered: true }),
  );
  assert.deepEqual(out, range(20).map((n) => n * 9));
  assert.equal(executor.submitted, 40);
  assert.ok(executor.maxRunning <= 5, `ran ${executor.maxRunning} tasks at once`);
});

Deno.test("an executor stage's task failure stops the pipeline (or goes to onError)", async () => {
  await using executor = new LoopExecutor(2);
  await assert.rejects(
    Array.fromAsync(pipeline(range(10)).stage(failOnThree, { executor, workers: 2 })),
    (error) => error instanceof RangeError && /three/.test(error.message),
  );
  const skipped: number[] = [];
  const out = await Array.fromAsync(
    pipeline(range(6)).stage(failOnThree, { executor, workers: 2 }).run({
      ordered: true,
      onError: (_error, failure) => void skipped.push(failure.index),
    }),
  );
  assert.deepEqual(out, [0, 1, 2, 4, 5]);
  assert.deepEqual(skipped, [3]);
});

Deno.test("stopping a pipeline cancels executor futures that have not started", async () => {
  await using executor = new LoopExecutor(1);
  const got: number[] = [];
  for await (const n of pipeline(range(100)).stage(slowTriple, { executor, workers: 4 })) {
    got.push(n);
    break;
  }
  assert.equal(got.length, 1);
  assert.ok(executor.cancelled > 0, "no pending future was cancelled");
  assert.equal(executor.running, 0);
});

// --- validation --------------------------------------------------------------------------------

Deno.test("stage options are checked when the stage is added", async () => {
  const base = pipeline([1]);
  assert.throws(
    () => base.stage((n: number) => n, { workers: 0 }),
    /'workers' must be a positive integer, received 0/,
  );
  assert.throws(() => base.stage((n: number) => n, { workers: 1.5 }), RangeError);
  assert.throws(
    () => base.stage((n: number) => n, { maxsize: 0 }),
    /'maxsize' must be a positive integer/,
  );
  assert.throws(() => base.stage(3 as unknown as (n: number) => number), /'fn' must be a function/);
  await using executor = new LoopExecutor(1);
  assert.throws(
    () => base.stage(((n: number) => n) as unknown as typeof triple, { executor }),
    /'task' must be a task/,
  );
  assert.throws(
    () => base.stage(triple, { executor: {} as unknown as LoopExecutor }),
    /'executor' must be an Executor/,
  );
  assert.throws(() => pipeline(42 as unknown as number[]), /'source' must be an iterable/);
  assert.throws(() => base.run({ timeout: -1 }), /'timeout' must be a non-negative number/);
  assert.throws(() => base.run({ onError: "log" as unknown as () => void }), /'onError'/);
});
