// MainThreadBridge: workers calling async functions of the main thread and blocking for them.
import assert from "node:assert/strict";
import { BridgeClosedError, MainThreadBridge, sleep } from "@tandem/tandem/coroutines";
import { TimeoutError } from "@tandem/tandem/futures";
import { Thread } from "@tandem/tandem/threads";
import { callAndDescribe, callBridge, callDouble, recordMany } from "./_bridge_tasks.ts";

class ParseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ParseError";
  }
}

function start<T extends Thread<never[], unknown>>(thread: T): T {
  thread.start();
  return thread;
}

Deno.test("a thread gets the result of the main thread's async function", async () => {
  await using bridge = new MainThreadBridge({
    double: async (n: number) => {
      await sleep(1);
      return 2 * n;
    },
  });
  assert.equal(await start(new Thread(callDouble, bridge, 21)).join(), 42);
  // A second call on the same bridge works too, and structured values survive.
  const echo = new MainThreadBridge({ echo: (v: unknown) => v });
  try {
    const value = { when: new Date(0), items: new Map([[1, [2n]]]), bytes: new Uint8Array([7]) };
    assert.deepEqual(await start(new Thread(callBridge, echo, "echo", [value])).join(), value);
  } finally {
    await echo[Symbol.asyncDispose]();
  }
});

Deno.test("an error thrown on the main thread is thrown by the worker's call, class name kept", async () => {
  await using bridge = new MainThreadBridge({
    parse: async (text: string) => {
      await sleep(1);
      throw new ParseError(`bad input: ${text}`, { cause: new RangeError("inner") });
    },
    range: () => {
      throw new RangeError("out of range");
    },
  });
  const parsed = await start(new Thread(callAndDescribe, bridge, "parse", ["x"])).join();
  assert.equal(parsed.name, "ParseError");
  assert.equal(parsed.message, "bad input: x");
  assert.match(parsed.stack ?? "", /bad input: x[\s\S]*bridge_test\.ts/);
  const ranged = await start(new Thread(callAndDescribe, bridge, "range", [])).join();
  assert.deepEqual([ranged.name, ranged.message], ["RangeError", "out of range"]);
  // The rebuilt error is a real RangeError, cause included, when the worker rethrows it.
  const thread = start(new Thread(callBridge, bridge, "parse", ["y"]));
  await assert.rejects(thread.join(), (error: Error) => {
    assert.equal(error.name, "ParseError");
    assert.equal((error.cause as Error).name, "RangeError");
    return true;
  });
  const missing = await start(new Thread(callAndDescribe, bridge, "nope", [])).join();
  assert.equal(missing.name, "TypeError");
  assert.match(missing.message ?? "", /serves no such function .*'parse', 'range'/);
});

Deno.test("a call that outlives its timeout throws TimeoutError and the late result is discarded", async () => {
  let finished = 0;
  await using bridge = new MainThreadBridge({
    slow: async (ms: number) => {
      await sleep(ms);
      finished++;
      return "late";
    },
    double: (n: number) => Promise.resolve(2 * n),
  });
  const timedOut = await start(
    new Thread(callAndDescribe, bridge, "slow", [300], { timeout: 30 }),
  ).join();
  assert.equal(timedOut.name, "TimeoutError");
  assert.match(
    timedOut.message ?? "",
    /Cannot call 'slow' through a MainThreadBridge: timed out after 30 ms/,
  );
  // The next call waits for the abandoned one to finish on the main thread, then gets its own
  // answer, not the late "late".
  assert.equal(await start(new Thread(callDouble, bridge, 5)).join(), 10);
  assert.equal(finished, 1);
});

Deno.test("the main side being busy makes a short-timeout caller time out, not hang", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  await using bridge = new MainThreadBridge({
    wait: async () => {
      await gate;
      return "opened";
    },
  });
  const first = start(new Thread(callAndDescribe, bridge, "wait", [], { timeout: 5_000 }));
  // The second caller queues behind the first and gives up.
  const second = await start(
    new Thread(callAndDescribe, bridge, "wait", [], { timeout: 40 }),
  ).join();
  assert.equal(second.name, "TimeoutError");
  release();
  assert.equal((await first.join()).value, "opened");
});

Deno.test("several threads calling at once each get their own answers, calls serialized", async () => {
  let inside = 0;
  let most = 0;
  await using bridge = new MainThreadBridge({
    record: async (who: number, i: number) => {
      inside++;
      most = Math.max(most, inside);
      await sleep(0);
      inside--;
      return `${who}:${i}`;
    },
  });
  const threads = [0, 1, 2, 3].map((who) => start(new Thread(recordMany, bridge, who, 25)));
  const answers = await Promise.all(threads.map((thread) => thread.join()));
  answers.forEach((list, who) => {
    assert.deepEqual(list, Array.from({ length: 25 }, (_, i) => `${who}:${i}`));
  });
  assert.equal(most, 1);
});

Deno.test("closing the bridge while a call is pending makes the caller throw BridgeClosedError", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const running = new Promise<void>((resolve) => entered = resolve);
  const bridge = new MainThreadBridge({
    wait: async () => {
      entered();
      await gate;
      return "never seen";
    },
  });
  const pending = start(new Thread(callAndDescribe, bridge, "wait", []));
  const queued = start(new Thread(callAndDescribe, bridge, "wait", []));
  await running;
  bridge.close();
  for (const thread of [pending, queued]) {
    const outcome = await thread.join();
    assert.equal(outcome.name, "BridgeClosedError");
    assert.match(outcome.message ?? "", /the bridge is closed/);
  }
  release();
  await bridge[Symbol.asyncDispose]();
  const late = await start(new Thread(callAndDescribe, bridge, "wait", [])).join();
  assert.equal(late.name, new BridgeClosedError().name);
});

Deno.test("calling the bridge on the main thread throws instead of blocking the loop", () => {
  using bridge = new MainThreadBridge({ ping: () => "pong" });
  assert.throws(() => bridge.call("ping", []), /Call \(and await\) the function directly/);
});

Deno.test("bad arguments and oversized payloads fail with clear errors", async () => {
  assert.throws(
    () => new MainThreadBridge({ a: 1 } as never),
    /Cannot create MainThreadBridge: 'a' must be a function, received 1/,
  );
  assert.throws(
    () => new MainThreadBridge({}, { capacity: 0 }),
    /'capacity' must be a positive integer, received 0/,
  );
  await using bridge = new MainThreadBridge({ big: () => "x".repeat(1000) }, { capacity: 256 });
  const tooBigRequest = await start(
    new Thread(callAndDescribe, bridge, "big", ["y".repeat(1000)]),
  ).join();
  assert.equal(tooBigRequest.name, "RangeError");
  assert.match(tooBigRequest.message ?? "", /more than the bridge's capacity of 256 bytes/);
  const tooBigResult = await start(new Thread(callAndDescribe, bridge, "big", [])).join();
  assert.equal(tooBigResult.name, "RangeError");
  assert.match(tooBigResult.message ?? "", /result takes \d+ bytes/);
});

Deno.test("an idle bridge that is never closed does not keep the process alive", async () => {
  const code = `
    import { MainThreadBridge } from "@tandem/tandem/coroutines";
    new MainThreadBridge({ ping: () => "pong" });
    console.log("done");
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--config", new URL("../../deno.json", import.meta.url).pathname, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "done");
  assert.equal(output.code, 0);
});

// Keep the TimeoutError import meaningful: the worker's error is the hub's class.
Deno.test("the worker's timeout error is the hub's TimeoutError", async () => {
  await using bridge = new MainThreadBridge({ slow: (ms: number) => sleep(ms) });
  const thread = start(new Thread(callBridge, bridge, "slow", [200], { timeout: 10 }));
  await assert.rejects(thread.join(), (error: Error) => {
    assert.equal(error.name, new TimeoutError().name);
    return true;
  });
});
