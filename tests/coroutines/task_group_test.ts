import assert from "node:assert/strict";
import { ExceptionGroup, sleep, TaskGroup } from "@tandem/tandem/coroutines";
import { CancelledError, InvalidStateError } from "@tandem/tandem/futures";

/** A promise and its resolvers, to hold a child until the test lets it go. */
function gate<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}

/** Waits until `signal` fires, then rejects with its reason (what a well-behaved child does). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

Deno.test("TaskGroup waits for every child before its block ends", async () => {
  const finished: number[] = [];
  {
    await using group = new TaskGroup();
    for (const n of [3, 1, 2]) {
      group.create(async () => {
        await sleep(n);
        finished.push(n);
      });
    }
    assert.deepEqual(finished, []);
  }
  assert.deepEqual(finished.sort(), [1, 2, 3]);
});

Deno.test("TaskGroup.create() returns the child's own promise, already handled by the group", async () => {
  await using group = new TaskGroup();
  const slow = gate<number>();
  const child = group.create(() => slow.promise, { name: "answer" });
  assert.equal(child, slow.promise);
  slow.resolve(42);
  assert.equal(await child, 42);
  const sync = group.create(() => "now");
  assert.ok(sync instanceof Promise);
  assert.equal(await sync, "now");
});

Deno.test("a failing child cancels its siblings, whose cleanup runs before the group throws", async () => {
  const events: string[] = [];
  const boom = new RangeError("boom");
  let siblingSignal: AbortSignal | undefined;
  await assert.rejects(
    async () => {
      await using group = new TaskGroup({ name: "workers" });
      group.create(async (signal) => {
        siblingSignal = signal;
        try {
          await untilAborted(signal);
        } finally {
          await sleep(5); // slow, asynchronous cleanup
          events.push("sibling cleaned up");
        }
      });
      group.create(async () => {
        await sleep(1);
        events.push("failing");
        throw boom;
      });
    },
    (error) => {
      events.push("group threw");
      assert.ok(error instanceof ExceptionGroup);
      assert.equal(error.name, "ExceptionGroup");
      assert.deepEqual(error.errors, [boom]);
      assert.equal(error.message, "unhandled errors in TaskGroup 'workers' (1 sub-exception)");
      return true;
    },
  );
  assert.deepEqual(events, ["failing", "sibling cleaned up", "group threw"]);
  assert.ok(siblingSignal?.aborted);
  assert.ok(siblingSignal.reason instanceof CancelledError);
  assert.equal(siblingSignal.reason.cause, boom);
});

Deno.test("children that reject with their signal's reason after cancellation are not failures", async () => {
  const boom = new Error("boom");
  let cancelled: Promise<never> | undefined;
  await assert.rejects(
    async () => {
      await using group = new TaskGroup();
      cancelled = group.create((signal) => untilAborted(signal));
      group.create(() => Promise.reject(boom));
    },
    (error) => error instanceof ExceptionGroup && error.errors.length === 1,
  );
  await assert.rejects(cancelled!, CancelledError);
});

Deno.test("every failure is reported, in order, including errors thrown during cleanup", async () => {
  const first = new RangeError("first");
  const second = new TypeError("second");
  const cleanup = new Error("cleanup failed");
  await assert.rejects(
    async () => {
      await using group = new TaskGroup();
      group.create(async (signal) => {
        try {
          await untilAborted(signal);
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw cleanup;
        }
      });
      group.create(async () => {
        await sleep(1);
        throw first;
      });
      group.create(async () => {
        await sleep(1);
        throw second;
      });
    },
    (error) => {
      assert.ok(error instanceof ExceptionGroup);
      assert.equal(error.errors[0], first);
      assert.deepEqual(new Set(error.errors), new Set([first, second, cleanup]));
      assert.match(error.message, /\(3 sub-exceptions\)$/);
      return true;
    },
  );
});

Deno.test("a synchronous throw is a failure, and later create() calls in the same turn still start", async () => {
  const started: number[] = [];
  await assert.rejects(
    async () => {
      await using group = new TaskGroup();
      group.create(() => {
        throw new Error("sync");
      });
      for (const n of [1, 2]) {
        group.create((signal) => {
          started.push(n);
          return untilAborted(signal);
        });
      }
    },
    (error) => error instanceof ExceptionGroup && (error.errors[0] as Error).message === "sync",
  );
  assert.deepEqual(started, [1, 2]);
});

Deno.test("nested groups: an inner failure propagates and the outer group cancels its other children", async () => {
  const inner = new Error("inner failure");
  let outerSiblingCancelled = false;
  let innerSiblingCancelled = false;
  await assert.rejects(
    async () => {
      await using outer = new TaskGroup({ name: "outer" });
      outer.create(async (signal) => {
        try {
          await untilAborted(signal);
        } finally {
          outerSiblingCancelled = signal.aborted;
        }
      });
      outer.create(async (signal) => {
        await using group = new TaskGroup({ name: "inner", signal });
        group.create(async (child) => {
          try {
            await untilAborted(child);
          } finally {
            innerSiblingCancelled = child.aborted;
          }
        });
        group.create(async () => {
          await sleep(1);
          throw inner;
        });
      });
    },
    (error) => {
      assert.ok(error instanceof ExceptionGroup);
      assert.match(error.message, /TaskGroup 'outer'/);
      const nested = error.errors[0];
      assert.ok(nested instanceof ExceptionGroup);
      assert.match(nested.message, /TaskGroup 'inner'/);
      assert.deepEqual(nested.errors, [inner]);
      return true;
    },
  );
  assert.equal(innerSiblingCancelled, true);
  assert.equal(outerSiblingCancelled, true);
});

Deno.test("cancelling the outer group cancels the inner group's children, and nothing is a failure", async () => {
  const outer = new TaskGroup();
  let innerChild: AbortSignal | undefined;
  outer.create(async (signal) => {
    await using inner = new TaskGroup({ signal });
    inner.create((child) => {
      innerChild = child;
      return untilAborted(child);
    });
  });
  await sleep(1);
  outer.cancel();
  await outer[Symbol.asyncDispose](); // resolves: the inner group rethrew the outer's reason
  assert.ok(innerChild?.aborted);
  assert.ok(innerChild.reason instanceof CancelledError);
});

Deno.test("a parent signal cancels the group, which throws its reason once every child settled", async () => {
  const parent = new AbortController();
  const reason = new Error("shutting down");
  let cleaned = false;
  const group = new TaskGroup({ signal: parent.signal });
  group.create(async (signal) => {
    try {
      await untilAborted(signal);
    } finally {
      await sleep(2);
      cleaned = true;
    }
  });
  parent.abort(reason);
  await assert.rejects(group.create(() => 1), (error) => error === reason);
  await assert.rejects(group[Symbol.asyncDispose](), (error) => error === reason);
  assert.equal(cleaned, true);
});

Deno.test("a group whose parent signal is already aborted throws its reason", async () => {
  const parent = new AbortController();
  parent.abort(new Error("too late"));
  const group = new TaskGroup({ signal: parent.signal });
  assert.equal(group.signal.aborted, true);
  await assert.rejects(group[Symbol.asyncDispose](), /too late/);
});

Deno.test("failures take priority over the parent's cancellation, as in Python", async () => {
  const parent = new AbortController();
  const group = new TaskGroup({ signal: parent.signal });
  group.create(async (signal) => {
    await untilAborted(signal).catch(() => {});
    throw new Error("failed while cancelling");
  });
  parent.abort(new Error("parent"));
  await assert.rejects(
    group[Symbol.asyncDispose](),
    (error) => error instanceof ExceptionGroup && error.errors.length === 1,
  );
});

Deno.test("create() once the group is shutting down gives a cancelled child; once finished it throws", async () => {
  const group = new TaskGroup({ name: "g" });
  const failure = new Error("x");
  group.create(() => Promise.reject(failure));
  await sleep(0);
  let ran = false;
  const late = group.create(() => (ran = true));
  await assert.rejects(late, (error) => error === group.signal.reason);
  assert.equal(ran, false);
  await assert.rejects(group[Symbol.asyncDispose](), (error) => {
    assert.ok(error instanceof ExceptionGroup);
    assert.deepEqual(error.errors, [failure]);
    return true;
  });
  assert.throws(() => group.create(() => 1), (error) => {
    assert.ok(error instanceof InvalidStateError);
    assert.match(error.message, /Cannot create a task in TaskGroup 'g': the group is finished/);
    return true;
  });

  const empty = new TaskGroup();
  await empty[Symbol.asyncDispose]();
  assert.throws(
    () => empty.create(() => 1),
    /Cannot create a task in a TaskGroup: the group is finished/,
  );
});

Deno.test("children that start more children after an abort add no noise to the ExceptionGroup", async () => {
  const failure = new Error("the real failure");
  await assert.rejects(
    TaskGroup.run(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.create(async (signal) => {
          await untilAborted(signal).catch(() => {});
          // A child that keeps spawning work after the abort, as a crawler does.
          await group.create(() => sleep(10));
        });
      }
      group.create(() => Promise.reject(failure));
      await sleep(0);
    }),
    (error) => {
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(error.errors, [failure]);
      return true;
    },
  );
});

Deno.test("children created while the group waits are waited for too", async () => {
  const done: string[] = [];
  {
    await using group = new TaskGroup();
    group.create(async () => {
      await sleep(2);
      group.create(async () => {
        await sleep(2);
        done.push("grandchild");
      });
      done.push("child");
    });
  }
  assert.deepEqual(done, ["child", "grandchild"]);
});

Deno.test("a child with its own signal can be cancelled alone without failing the group", async () => {
  const stop = new AbortController();
  const sibling = gate<string>();
  {
    await using group = new TaskGroup();
    let own: AbortSignal | undefined;
    let shared: AbortSignal | undefined;
    const child = group.create((signal) => {
      own = signal;
      return untilAborted(signal);
    }, { signal: stop.signal });
    const other = group.create((signal) => {
      shared = signal;
      return sibling.promise;
    });
    assert.notEqual(own, group.signal);
    assert.equal(shared, group.signal);
    stop.abort(new Error("only this one"));
    await assert.rejects(child, /only this one/);
    assert.equal(group.signal.aborted, false);
    sibling.resolve("fine");
    assert.equal(await other, "fine");
  }
});

Deno.test("a child with its own signal is still cancelled by the group", async () => {
  const stop = new AbortController();
  let own: AbortSignal | undefined;
  await assert.rejects(async () => {
    await using group = new TaskGroup();
    group.create((signal) => {
      own = signal;
      return untilAborted(signal);
    }, { signal: stop.signal });
    group.create(() => Promise.reject(new Error("sibling failed")));
  }, ExceptionGroup);
  assert.ok(own?.reason instanceof CancelledError);
});

Deno.test("cancel() stops every child and the group ends without an error", async () => {
  let ticks = 0;
  const group = new TaskGroup();
  const child = group.create(async (signal) => {
    while (true) {
      await sleep(1, { signal });
      ticks++;
    }
  });
  await sleep(10);
  group.cancel();
  group.cancel(); // a second call does nothing
  await group[Symbol.asyncDispose](); // resolves: cancelled children are not failures
  assert.ok(ticks > 0);
  await assert.rejects(child, CancelledError);
});

Deno.test("TaskGroup.run() cancels the children when the body throws and reports the body's error last", async () => {
  const body = new Error("body failed");
  let childCancelled = false;
  await assert.rejects(
    TaskGroup.run(async (group) => {
      group.create(async (signal) => {
        try {
          await untilAborted(signal);
        } finally {
          childCancelled = true;
        }
      });
      await sleep(1);
      throw body;
    }),
    (error) =>
      error instanceof ExceptionGroup && error.errors.length === 1 &&
      error.errors[0] === body,
  );
  assert.equal(childCancelled, true);
});

Deno.test("TaskGroup.run() rethrows the ExceptionGroup, not the body's cancellation", async () => {
  const failure = new Error("child failed");
  await assert.rejects(
    TaskGroup.run(async (group) => {
      group.create(async () => {
        await sleep(1);
        throw failure;
      });
      await untilAborted(group.signal); // the body is cancelled too, like Python's parent task
    }),
    (error) =>
      error instanceof ExceptionGroup && error.errors.length === 1 &&
      error.errors[0] === failure,
  );
});

Deno.test("TaskGroup.run() returns the body's result after the children finish", async () => {
  let childDone = false;
  const value = await TaskGroup.run((group) => {
    group.create(async () => {
      await sleep(2);
      childDone = true;
    });
    return "body";
  });
  assert.equal(value, "body");
  assert.equal(childDone, true);
});

Deno.test("TaskGroup rejects bad arguments with errors naming the parameter", async () => {
  const notASignal = {} as AbortSignal;
  assert.throws(
    () => new TaskGroup({ signal: notASignal }),
    /Cannot create TaskGroup: 'signal' must be an AbortSignal/,
  );
  const notAString = 3 as unknown as string;
  assert.throws(
    () => new TaskGroup({ name: notAString }),
    /'name' must be a string, received 3/,
  );
  await using group = new TaskGroup();
  const notAFunction = 42 as unknown as () => number;
  assert.throws(
    () => group.create(notAFunction),
    /Cannot create a task in a TaskGroup: 'fn' must be a function, received 42/,
  );
  assert.throws(() => group.create(() => 1, { name: notAString }), TypeError);
  await assert.rejects(
    TaskGroup.run(notAFunction),
    /Cannot run TaskGroup: 'body' must be a function/,
  );
});

Deno.test("a hundred thousand children settle and the group finishes", async () => {
  let sum = 0;
  {
    await using group = new TaskGroup();
    for (let i = 0; i < 100_000; i++) {
      group.create(async () => {
        await null;
        sum += 1;
      });
    }
  }
  assert.equal(sum, 100_000);
});
