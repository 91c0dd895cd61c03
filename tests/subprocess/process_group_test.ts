// Process trees: with processGroup / startNewSession, a child leads a group of its own and every
// way tandem stops it (timeout, abort, terminate, kill, sendSignal, await using) stops its whole
// tree. Survivors are counted under /proc: running processes whose process group is the child's.
import assert from "node:assert/strict";
import { CalledProcessError, killpg, Popen, run, TimeoutExpired } from "@tandem/tandem/subprocess";
import {
  groupMembers,
  isRunning,
  killEach,
  procStat,
  survivors,
  tempDir,
  waitForFile,
  waitForMembers,
} from "./_helpers.ts";

const MOD = new URL("../../subprocess/mod.ts", import.meta.url).href;

/**
 * A shell that starts a tree of four processes (itself; a second shell and its sleep; a sleep),
 * records "shell sub-shell sleep" pids in `file`, and waits for them.
 */
function tree(file: string): string[] {
  return [
    "sh",
    "-c",
    `sh -c 'sleep 30 & wait' & a=$!; sleep 30 & b=$!; echo "$$ $a $b" > ${file}; wait`,
  ];
}

/** The tree's recorded pids, once it has started all four processes. */
async function treeStarted(file: string): Promise<{ pgid: number; pids: number[] }> {
  const pids = (await waitForFile(file)).trim().split(" ").map(Number);
  const pgid = pids[0];
  await waitForMembers(pgid, 4);
  return { pgid, pids };
}

/** Asserts that no process of the group runs any more, and none of `pids`. */
async function assertTreeGone(pgid: number, pids: readonly number[]): Promise<void> {
  assert.deepEqual(await survivors(pgid), [], `processes left in group ${pgid}`);
  for (const pid of pids) assert.equal(isRunning(pid), false, `process ${pid} still runs`);
}

/** Test cleanup: kills, one pid at a time, whatever of the group a failed test left running. */
function cleanUp(pgid: number | undefined): void {
  if (pgid !== undefined && pgid > 1) killEach(groupMembers(pgid));
}

Deno.test("without a process group, a child shares the parent's and run()'s timeout kills it alone", async () => {
  // The reason for processGroup: by default the child's children outlive it.
  using dir = tempDir();
  const file = `${dir.path}/pids`;
  const pending = run(tree(file), { timeout: 1500 });
  const pids = (await waitForFile(file)).trim().split(" ").map(Number);
  try {
    assert.equal(procStat(pids[0])?.pgrp, procStat(Deno.pid)?.pgrp);
    assert.equal(procStat(pids[0])?.session, procStat(Deno.pid)?.session);
    await assert.rejects(pending, TimeoutExpired);
    assert.equal(isRunning(pids[0]), false);
    assert.equal(isRunning(pids[1]), true, "the sub-shell should have outlived the timeout");
    assert.equal(isRunning(pids[2]), true, "the sleep should have outlived the timeout");
  } finally {
    await pending.catch(() => {});
    // The survivors: the sub-shell's own sleep (found by its parent, before that is killed),
    // the sub-shell and the sleep.
    const grandchildren: number[] = [];
    for (const entry of Deno.readDirSync("/proc")) {
      const stat = /^\d+$/.test(entry.name) ? procStat(Number(entry.name)) : null;
      if (stat !== null && stat.ppid === pids[1]) grandchildren.push(stat.pid);
    }
    killEach([...grandchildren, ...pids.slice(1)]);
  }
});

Deno.test("a child with processGroup: 0 or startNewSession leads a new group and session", async (t) => {
  for (const options of [{ processGroup: 0 as const }, { startNewSession: true }]) {
    await t.step(JSON.stringify(options), async () => {
      await using proc = new Popen(["sleep", "30"], options);
      const stat = procStat(proc.pid)!;
      assert.equal(stat.pgrp, proc.pid);
      assert.equal(stat.session, proc.pid);
      assert.notEqual(stat.pgrp, procStat(Deno.pid)!.pgrp);
    });
  }

  await t.step("and without either, the child stays in the parent's group", async () => {
    await using proc = new Popen(["sleep", "30"], { startNewSession: false });
    assert.equal(procStat(proc.pid)!.pgrp, procStat(Deno.pid)!.pgrp);
  });
});

Deno.test("run() with a process group leaves no descendant when the timeout runs out", async (t) => {
  for (const options of [{ processGroup: 0 as const }, { startNewSession: true }]) {
    await t.step(JSON.stringify(options), async () => {
      using dir = tempDir();
      const file = `${dir.path}/pids`;
      const start = performance.now();
      const pending = run(tree(file), { ...options, timeout: 1500 });
      let pgid: number | undefined;
      try {
        const started = await treeStarted(file);
        pgid = started.pgid;
        const error = await pending.catch((e) => e);
        assert.ok(error instanceof TimeoutExpired, String(error));
        assert.equal(error.timeout, 1500);
        assert.ok(performance.now() - start < 5000);
        await assertTreeGone(pgid, started.pids);
      } finally {
        await pending.catch(() => {});
        cleanUp(pgid);
      }
    });
  }

  await t.step("with captured output complete, as the tree's pipes close at once", async () => {
    const error = await run(
      ["sh", "-c", "sleep 30 & echo $!; sleep 30 & echo $!; echo $$; wait"],
      { processGroup: 0, timeout: 500, capture: true, encoding: "utf-8" },
    ).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    const pids = String(error.stdout).trim().split("\n").map(Number);
    assert.equal(pids.length, 3);
    await assertTreeGone(pids[2], pids);
  });
});

Deno.test("run() with a process group leaves no descendant when aborted", async () => {
  using dir = tempDir();
  const file = `${dir.path}/pids`;
  const controller = new AbortController();
  const reason = new Error("stop the tree");
  const pending = run(tree(file), { processGroup: 0, signal: controller.signal });
  let pgid: number | undefined;
  try {
    const started = await treeStarted(file);
    pgid = started.pgid;
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    await assertTreeGone(pgid, started.pids);
  } finally {
    controller.abort();
    await pending.catch(() => {});
    cleanUp(pgid);
  }
});

Deno.test("run() with a process group kills what the child left running when it exits", async (t) => {
  await t.step("after a successful exit", async () => {
    using dir = tempDir();
    const file = `${dir.path}/pids`;
    const result = await run(["sh", "-c", `sleep 30 & echo "$$ $!" > ${file}`], {
      processGroup: 0,
    });
    assert.equal(result.returncode, 0);
    const pids = (await waitForFile(file)).trim().split(" ").map(Number);
    try {
      await assertTreeGone(pids[0], pids);
    } finally {
      cleanUp(pids[0]);
    }
  });

  await t.step("after a failed check", async () => {
    const error = await run(
      ["sh", "-c", `sleep 30 > /dev/null & echo "$$ $!"; exit 3`],
      { processGroup: 0, check: true, stdout: "pipe", encoding: "utf-8" },
    ).catch((e) => e);
    assert.ok(error instanceof CalledProcessError, String(error));
    assert.equal(error.returncode, 3);
    const pids = String(error.stdout).trim().split(" ").map(Number);
    try {
      await assertTreeGone(pids[0], pids);
    } finally {
      cleanUp(pids[0]);
    }
  });
});

Deno.test("Popen with a process group: terminate(), kill() and sendSignal() stop the whole tree", async (t) => {
  const cases: [string, (proc: Popen) => void, number][] = [
    ["terminate()", (proc) => proc.terminate(), -15],
    ["kill()", (proc) => proc.kill(), -9],
    ["sendSignal('SIGUSR1')", (proc) => proc.sendSignal("SIGUSR1"), -10],
    ["sendSignal(15)", (proc) => proc.sendSignal(15), -15],
  ];
  for (const [name, stop, returncode] of cases) {
    await t.step(name, async () => {
      using dir = tempDir();
      const file = `${dir.path}/pids`;
      await using proc = new Popen(tree(file), { processGroup: 0 });
      try {
        const { pgid, pids } = await treeStarted(file);
        assert.equal(pgid, proc.pid);
        stop(proc);
        assert.equal(await proc.wait({ timeout: 5000 }), returncode);
        await assertTreeGone(pgid, pids);
      } finally {
        cleanUp(proc.pid);
      }
    });
  }
});

Deno.test("Popen with a process group: await using leaves no descendant", async (t) => {
  await t.step("while the child runs", async () => {
    using dir = tempDir();
    const file = `${dir.path}/pids`;
    let started: { pgid: number; pids: number[] } | undefined;
    let proc: Popen | undefined;
    try {
      {
        await using scoped = new Popen(tree(file), { startNewSession: true, stdout: "pipe" });
        proc = scoped;
        started = await treeStarted(file);
      }
      assert.equal(proc.returncode, -9);
      await assertTreeGone(started.pgid, started.pids);
    } finally {
      cleanUp(started?.pgid);
    }
  });

  await t.step("after the child exited, killing a process that ignores SIGTERM", async () => {
    using dir = tempDir();
    const file = `${dir.path}/pids`;
    const script = `(trap '' TERM; exec sleep 30) & a=$!; sleep 30 & b=$!; ` +
      `echo "$$ $a $b" > ${file}; wait`;
    let pids: number[] = [];
    {
      await using proc = new Popen(["sh", "-c", script], { processGroup: 0 });
      try {
        pids = (await waitForFile(file)).trim().split(" ").map(Number);
        await waitForMembers(proc.pid, 3);
        proc.terminate();
        assert.equal(await proc.wait(), -15);
        // The child is gone, and the other sleep; the process that ignores SIGTERM is not.
        for (let i = 0; i < 500 && groupMembers(proc.pid).length > 1; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.deepEqual(groupMembers(proc.pid), [pids[1]]);
      } catch (error) {
        cleanUp(proc.pid);
        throw error;
      }
    }
    try {
      await assertTreeGone(pids[0], pids);
    } finally {
      cleanUp(pids[0]);
    }
  });
});

Deno.test("Popen with a process group: timeouts and aborts of wait() and communicate() leave the tree running, and disposal ends it", async (t) => {
  const waits: [string, (proc: Popen) => Promise<unknown>, (e: unknown) => boolean][] = [
    [
      "wait({ timeout })",
      (proc) => proc.wait({ timeout: 100 }),
      (e) => e instanceof TimeoutExpired,
    ],
    [
      "communicate({ timeout })",
      (proc) => proc.communicate({ timeout: 100 }),
      (e) => e instanceof TimeoutExpired,
    ],
    [
      "wait({ signal })",
      (proc) => proc.wait({ signal: AbortSignal.timeout(100) }),
      (e) => e instanceof DOMException && e.name === "TimeoutError",
    ],
  ];
  for (const [name, waitFor, expected] of waits) {
    await t.step(name, async () => {
      using dir = tempDir();
      const file = `${dir.path}/pids`;
      const proc = new Popen(tree(file), { processGroup: 0, stdout: "pipe" });
      try {
        const { pgid, pids } = await treeStarted(file);
        await assert.rejects(waitFor(proc), expected);
        assert.equal(proc.returncode, null);
        assert.equal(groupMembers(pgid).length, 4, "the tree should still run");
        await proc[Symbol.asyncDispose]();
        await assertTreeGone(pgid, pids);
      } finally {
        await proc[Symbol.asyncDispose]();
        cleanUp(proc.pid);
      }
    });
  }
});

Deno.test("signalling a process group that has exited does nothing and throws nothing", async () => {
  const proc = new Popen(["true"], { processGroup: 0 });
  assert.equal(await proc.wait(), 0);
  proc.terminate();
  proc.kill();
  proc.sendSignal("SIGUSR1");
  await proc[Symbol.asyncDispose]();
  await proc[Symbol.asyncDispose]();
  assert.equal(proc.returncode, 0);
  assert.equal(killpg(proc.pid, "SIGKILL"), false);
  assert.equal(killpg(proc.pid, 0), false);
});

Deno.test("killpg() kills a tree started with Deno.Command's detached, and reports a gone group", async () => {
  using dir = tempDir();
  const file = `${dir.path}/pids`;
  const [program, ...args] = tree(file);
  const child = new Deno.Command(program, { args, detached: true }).spawn();
  try {
    const { pgid, pids } = await treeStarted(file);
    assert.equal(pgid, child.pid);
    assert.equal(killpg(pgid, 0), true);
    assert.equal(killpg(pgid, "SIGKILL"), true);
    assert.equal((await child.status).signal, "SIGKILL");
    await assertTreeGone(pgid, pids);
  } finally {
    cleanUp(child.pid);
    await child.status;
  }
});

Deno.test("killpg() rejects bad arguments with an error naming the parameter and value", async (t) => {
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      "a string pgid",
      () => killpg("1234" as unknown as number, "SIGTERM"),
      TypeError,
      `Cannot signal process group: 'pgid' must be a process group id (an integer of 2 or more), received "1234" (a string)`,
    ],
    [
      "pgid 0, the caller's own group",
      () => killpg(0, "SIGTERM"),
      RangeError,
      "Cannot signal process group: 'pgid' must be an integer from 2 to 2147483647 (0 is the caller's own group, 1 every process), received 0",
    ],
    [
      "pgid 1, every process",
      () => killpg(1, "SIGKILL"),
      RangeError,
      "Cannot signal process group: 'pgid' must be an integer from 2 to 2147483647 (0 is the caller's own group, 1 every process), received 1",
    ],
    [
      "a negative pgid",
      () => killpg(-1234, "SIGTERM"),
      RangeError,
      "Cannot signal process group: 'pgid' must be an integer from 2 to 2147483647 (0 is the caller's own group, 1 every process), received -1234",
    ],
    [
      "a fractional pgid",
      () => killpg(12.5, "SIGTERM"),
      RangeError,
      "Cannot signal process group: 'pgid' must be an integer from 2 to 2147483647 (0 is the caller's own group, 1 every process), received 12.5",
    ],
    [
      "an unknown signal name",
      () => killpg(1234, "SIGNOPE" as Deno.Signal),
      TypeError,
      `Cannot signal process group: 'signal' must be a signal name such as "SIGTERM" or a signal number, received "SIGNOPE" (a string)`,
    ],
    [
      "a signal this platform does not support",
      () => killpg(1234, 999),
      TypeError,
      "Cannot signal process group: 'signal' must be a signal this platform supports, received 999",
    ],
  ];
  for (const [name, call, type, message] of cases) {
    await t.step(name, () => {
      const error = (() => {
        try {
          call();
        } catch (e) {
          return e;
        }
      })();
      assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
      assert.equal((error as Error).message, message);
    });
  }
});

Deno.test("run() and Popen reject bad processGroup and startNewSession values, naming the value", async (t) => {
  const cases: [string, unknown, ErrorConstructor, string][] = [
    [
      "processGroup as a string",
      { processGroup: "0" },
      TypeError,
      `'processGroup' must be 0 (a new process group led by the child), received "0" (a string)`,
    ],
    [
      "processGroup as null",
      { processGroup: null },
      TypeError,
      `'processGroup' must be 0 (a new process group led by the child), received null`,
    ],
    [
      "processGroup as true",
      { processGroup: true },
      TypeError,
      `'processGroup' must be 0 (a new process group led by the child), received true`,
    ],
    [
      "an existing group, which Deno cannot join",
      { processGroup: 1234 },
      RangeError,
      `'processGroup' must be 0 (a new process group led by the child); Deno cannot move a child into an existing group, received 1234`,
    ],
    [
      "a negative processGroup",
      { processGroup: -1 },
      RangeError,
      `'processGroup' must be 0 (a new process group led by the child); Deno cannot move a child into an existing group, received -1`,
    ],
    [
      "a NaN processGroup",
      { processGroup: NaN },
      RangeError,
      `'processGroup' must be 0 (a new process group led by the child); Deno cannot move a child into an existing group, received NaN`,
    ],
    [
      "startNewSession as a string",
      { startNewSession: "yes" },
      TypeError,
      `'startNewSession' must be a boolean, received "yes" (a string)`,
    ],
    [
      "startNewSession as a number",
      { startNewSession: 1 },
      TypeError,
      `'startNewSession' must be a boolean, received 1`,
    ],
  ];
  using dir = tempDir();
  const marker = `${dir.path}/started`;
  const command = ["sh", "-c", `touch ${marker}`];
  for (const [name, options, type, message] of cases) {
    await t.step(`run(): ${name}`, async () => {
      const error = await run(command, options as object).then(() => undefined, (e) => e);
      assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
      assert.equal(error.message, `Cannot run process: ${message}`);
    });
    await t.step(`new Popen(): ${name}`, () => {
      const error = (() => {
        try {
          new Popen(command, options as object);
        } catch (e) {
          return e;
        }
      })();
      assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
      assert.equal((error as Error).message, `Cannot start process: ${message}`);
    });
  }

  await t.step("Python's option names", async () => {
    await assert.rejects(
      run(command, { start_new_session: true } as object),
      new TypeError(
        "Cannot run process: 'options' has no field 'start_new_session' (known fields: stdin, stdout, stderr, cwd, env, clearEnv, processGroup, startNewSession, capture, encoding, input, timeout, check, signal)",
      ),
    );
    assert.throws(
      () => new Popen(command, { process_group: 0 } as object),
      new TypeError(
        "Cannot start process: 'options' has no field 'process_group' (known fields: stdin, stdout, stderr, cwd, env, clearEnv, processGroup, startNewSession)",
      ),
    );
  });

  await t.step("and start no child", () => {
    assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound);
  });
});

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("a process group needs run permission for every program, and starts nothing without it", async () => {
  using dir = tempDir();
  const marker = `${dir.path}/started`;
  const script = `${dir.path}/script.ts`;
  await Deno.writeTextFile(
    script,
    `import { Popen, run } from ${JSON.stringify(MOD)};
const outcomes = [];
for (const start of [
  () => run(["touch", ${JSON.stringify(marker)}], { processGroup: 0 }),
  () => new Popen(["touch", ${JSON.stringify(marker)}], { startNewSession: true }),
]) {
  try {
    await start();
    outcomes.push("started");
  } catch (error) {
    outcomes.push(error.name + ": " + error.message);
  }
}
console.log(JSON.stringify(outcomes));
`,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    // The package's own configuration, so that its imports of `@tandem/tandem/...` resolve.
    args: ["run", "--config", CONFIG, "--allow-run=touch", script],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(output.code, 0, decoder.decode(output.stderr));
  assert.deepEqual(JSON.parse(decoder.decode(output.stdout)), [
    "NotCapable: Cannot run process: 'processGroup' needs run permission for every program (--allow-run without a list), which Deno requires to signal a process group",
    "NotCapable: Cannot start process: 'startNewSession' needs run permission for every program (--allow-run without a list), which Deno requires to signal a process group",
  ]);
  assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound);
});
