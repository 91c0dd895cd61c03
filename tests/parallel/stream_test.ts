// Streamed results: a task's async generator yields to the caller, in order, with backpressure,
// in worker pools, process pools and (on this event loop) the async pool.
import assert from "node:assert/strict";
import { BrokenExecutorError, CancelledError, TimeoutError } from "@tandem/tandem/futures";
import {
  AsyncPoolExecutor,
  type PoolExecutor,
  ProcessPoolExecutor,
  WorkerPoolExecutor,
} from "@tandem/tandem/parallel";
import {
  countLogged,
  failInFinally,
  isolateId,
  iterableOf,
  processId,
  square,
  yieldFunction,
  yieldShared,
  yieldThenExit,
  yieldThenFail,
} from "./_tasks.ts";

const kinds: [string, () => PoolExecutor][] = [
  ["WorkerPoolExecutor", () => new WorkerPoolExecutor({ maxWorkers: 1, cancelGrace: 5000 })],
  [
    "ProcessPoolExecutor",
    () =>
      new ProcessPoolExecutor({
        maxWorkers: 1,
        cancelGrace: 5000,
        denoArgs: ["--allow-read", "--allow-write"],
      }),
  ],
];

/** A fresh file name in a fresh temporary folder; the folder goes when `fn` ends. */
async function withLog(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tandem-stream-" });
  try {
    await fn(`${dir}/log`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** How many values the generator logging to `path` has produced. */
function produced(path: string): number {
  try {
    return Number(Deno.readTextFileSync(path));
  } catch {
    return 0;
  }
}

function closed(path: string): boolean {
  try {
    Deno.statSync(`${path}.closed`);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const [name, make] of kinds) {
  const who = name === "WorkerPoolExecutor" ? isolateId : processId;

  Deno.test(`${name}: stream() yields the generator's values in order`, async () => {
    await using pool = make();
    await withLog(async (path) => {
      const values = await Array.fromAsync(pool.stream(countLogged, path, 100));
      assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => i + 1));
      assert.ok(closed(path), "the generator's finally ran");
      const one = await Array.fromAsync(pool.streamWith({ buffer: 1 }, countLogged, path, 5));
      assert.deepEqual(one, [1, 2, 3, 4, 5]);
    });
    assert.deepEqual(await Array.fromAsync(pool.stream(iterableOf, 3)), [1, 2, 3]);
  });

  Deno.test(`${name}: a stream applies backpressure: the task runs at most 'buffer' values ahead of a paused reader`, async () => {
    await using pool = make();
    await withLog(async (path) => {
      const stream = pool.streamWith({ buffer: 2 }, countLogged, path, 50);
      assert.deepEqual(await stream.next(), { value: 1, done: false });
      // One value read, two may wait unread: the generator stops at its third value.
      await until(() => produced(path) >= 3, "the generator produced 3 values");
      await pause(300);
      assert.equal(produced(path), 3, "the generator ran ahead of the paused reader");
      const rest: number[] = [];
      for await (const n of stream) rest.push(n);
      assert.deepEqual(rest, Array.from({ length: 49 }, (_, i) => i + 2));
      assert.equal(produced(path), 50);
    });
  });

  Deno.test(`${name}: leaving the loop runs the generator's finally in the worker, and the worker is reused`, async () => {
    await using pool = make();
    const before = await pool.submit(who);
    await withLog(async (path) => {
      const seen: number[] = [];
      for await (const n of pool.streamWith({ buffer: 4 }, countLogged, path, Infinity)) {
        seen.push(n);
        if (n === 3) break;
      }
      assert.deepEqual(seen, [1, 2, 3]);
      assert.ok(closed(path), "return() resolved before the generator's finally ran");
      assert.ok(produced(path) <= 3 + 4);
    });
    assert.equal(await pool.submit(who), before, "the same worker runs the next task");
  });

  Deno.test(`${name}: leaving the loop rejects with what the generator's finally threw`, async () => {
    await using pool = make();
    await assert.rejects(async () => {
      for await (const n of pool.stream(failInFinally)) if (n === 2) break;
    }, (error: Error) => error.name === "RangeError" && error.message === "finally failed");
    assert.equal(await pool.submit(square, 5), 25);
  });

  Deno.test(`${name}: a value that cannot be cloned fails the stream with a TypeError naming the task`, async () => {
    await using pool = make();
    const seen: unknown[] = [];
    await assert.rejects(
      async () => {
        for await (const value of pool.stream(yieldFunction)) seen.push(value);
      },
      (error: Error) =>
        error instanceof TypeError &&
        /'yieldFunction' .* yielded a value that cannot be structured-cloned/.test(error.message),
    );
    assert.deepEqual(seen, [1]);
  });

  Deno.test(`${name}: an exception in the generator rejects the read, after the values before it`, async () => {
    await using pool = make();
    const seen: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const n of pool.stream(yieldThenFail, 2, "bad value")) seen.push(n);
      })(),
      (error: Error) => error.name === "ValidationError" && error.message === "bad value",
    );
    assert.deepEqual(seen, [1, 2]);
    assert.equal(await pool.submit(square, 3), 9);
  });

  Deno.test(`${name}: a stream's timeout ends it with a TimeoutError and closes its generator; the worker is kept`, async () => {
    await using pool = make();
    const before = await pool.submit(who);
    await withLog(async (path) => {
      const stream = pool.streamWith({ timeout: 300 }, countLogged, path, Infinity, 20);
      await assert.rejects(Array.fromAsync(stream), TimeoutError);
      assert.ok(closed(path), "the generator's finally ran before the stream failed");
    });
    assert.equal(await pool.submit(who), before);
  });

  Deno.test(`${name}: aborting a paused stream's signal wakes its task, closes its generator and rejects the read`, async () => {
    await using pool = make();
    await withLog(async (path) => {
      const controller = new AbortController();
      const stream = pool.streamWith(
        { buffer: 1, signal: controller.signal },
        countLogged,
        path,
        Infinity,
      );
      assert.deepEqual(await stream.next(), { value: 1, done: false });
      await until(() => produced(path) >= 2, "the generator waits for credit");
      controller.abort(new Error("stop"));
      await assert.rejects(async () => {
        for (;;) if ((await stream.next()).done) break;
      }, /stop/);
      assert.ok(closed(path));
    });
  });

  Deno.test(`${name}: shutdown({ cancelFutures }) ends a stream left mid-way with a CancelledError`, async () => {
    const pool = make();
    await withLog(async (path) => {
      const stream = pool.streamWith({ buffer: 1 }, countLogged, path, Infinity);
      assert.deepEqual(await stream.next(), { value: 1, done: false });
      await pool.shutdown({ cancelFutures: true });
      assert.ok(closed(path));
      await assert.rejects(Array.fromAsync(stream), CancelledError);
    });
  });

  Deno.test(`${name}: a worker that ends mid-stream fails the read with a BrokenExecutorError`, async () => {
    await using pool = make();
    const stream = pool.stream(yieldThenExit, 3);
    assert.deepEqual(await stream.next(), { value: 1, done: false });
    await assert.rejects(stream.next(), BrokenExecutorError);
    assert.equal(await pool.submit(square, 4), 16, "a new worker takes over");
  });

  Deno.test(`${name}: submit() of a generator fails with a TypeError that says to use stream(); stream() of a plain task fails naming it`, async () => {
    await using pool = make();
    await withLog(async (path) => {
      await assert.rejects(
        pool.submit(countLogged, path, 3).result(),
        (error: Error) =>
          error instanceof TypeError &&
          /'countLogged'.*use an executor's stream\(\)/.test(error.message),
      );
    });
    await assert.rejects(
      Array.fromAsync(pool.stream(square as never, 3)),
      (error: Error) =>
        error instanceof TypeError &&
        /'square' .* was streamed, but it returned 9, not an async iterable/.test(error.message),
    );
  });
}

Deno.test("streamWith() refuses bad options, naming the option and quoting the value", () => {
  const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  assert.throws(() => pool.streamWith({ buffer: 0 }, countLogged, "x", 1), {
    name: "RangeError",
    message: "Cannot stream from WorkerPoolExecutor: 'buffer' must be a positive integer, " +
      "received 0",
  });
  assert.throws(() => pool.streamWith({ buffer: "2" } as never, countLogged, "x", 1), TypeError);
  assert.throws(
    () => pool.streamWith({ bufferSize: 2 } as never, countLogged, "x", 1),
    /'options' has no field 'bufferSize' \(known fields: buffer, signal, timeout\)/,
  );
  assert.throws(() => pool.streamWith({ timeout: -1 }, countLogged, "x", 1), RangeError);
  void pool.shutdown();
});

async function* numbers(n: number, log: { produced: number; closed: boolean }) {
  try {
    for (let i = 1; i <= n; i++) {
      log.produced = i;
      yield i;
    }
  } finally {
    log.closed = true;
  }
}

Deno.test("AsyncPoolExecutor: stream() yields in order, with backpressure, and break closes the generator", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  const log = { produced: 0, closed: false };
  assert.deepEqual(await Array.fromAsync(pool.stream(numbers, 5, log)), [1, 2, 3, 4, 5]);
  assert.ok(log.closed);

  const paused = { produced: 0, closed: false };
  const stream = pool.streamWith({ buffer: 2 }, numbers, 50, paused);
  assert.deepEqual(await stream.next(), { value: 1, done: false });
  await pause(50);
  assert.ok(paused.produced <= 3, `produced ${paused.produced} while the reader paused`);
  const seen: number[] = [];
  for await (const n of stream) {
    seen.push(n);
    if (n === 4) break;
  }
  assert.deepEqual(seen, [2, 3, 4]);
  assert.ok(paused.closed, "return() resolved before the generator's finally ran");
});

Deno.test("AsyncPoolExecutor: a failing generator rejects the read; a timeout ends the stream", async () => {
  await using pool = new AsyncPoolExecutor({ maxWorkers: 1 });
  async function* failing() {
    yield 1;
    throw new RangeError("no more");
  }
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const n of pool.stream(failing)) seen.push(n);
  }, RangeError);
  assert.deepEqual(seen, [1]);
  const log = { produced: 0, closed: false };
  async function* slow() {
    try {
      for (;;) {
        await pause(10);
        yield 1;
      }
    } finally {
      log.closed = true;
    }
  }
  await assert.rejects(Array.fromAsync(pool.streamWith({ timeout: 50 }, slow)), TimeoutError);
  await until(() => log.closed, "the generator was closed");
});

Deno.test("a program whose streams were left mid-way ends, its pools shut down or forgotten", async () => {
  const program = new URL("./_programs/abandoned_stream.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", program],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    // A program that never ends fails the test instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stdout = new TextDecoder().decode(output.stdout).trim();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.deepEqual(stdout.split("\n"), ["1 2", "1 2", "1 2", "1 2", "end"]);
});

Deno.test("ProcessPoolExecutor: a value that cannot leave the child fails the stream after the values before it; the child carries on", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
  const seen: unknown[] = [];
  await assert.rejects(
    async () => {
      for await (const value of pool.stream(yieldShared)) seen.push(value);
    },
    (error: Error) =>
      error instanceof TypeError &&
      /'yieldShared' .* yielded a value that cannot be serialized to cross the process boundary/
        .test(error.message),
  );
  assert.deepEqual(seen, [1]);
  assert.equal(await pool.submit(square, 4), 16, "the child carries on");
});
