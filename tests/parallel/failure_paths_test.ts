// The ways out of the main thread that used to end in silence, run as a new user meets them: a
// small program under `deno run`, checked for what it prints, how it exits, how long it takes
// and what it leaves running.
import assert from "node:assert/strict";
import { isRunning, whenGone } from "./_proc.ts";

const programs = new URL("./_programs/", import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function runProgram(name: string, args: string[], flags = ["-A"]): Promise<Run> {
  const start = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, new URL(name, programs).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    // A program that never ends fails the test instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  }).output();
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    stderr: new TextDecoder().decode(output.stderr),
    ms: performance.now() - start,
  };
}

for (const kind of ["worker", "process"]) {
  Deno.test(`a ${kind} pool at the top level of a task module fails its task at once, naming the module, and nothing multiplies`, async () => {
    const run = await runProgram("fork_bomb.ts", [kind]);
    assert.equal(run.code, 0, run.stderr);
    const [error, alive] = run.stdout.trim().split("\n");
    assert.match(
      error,
      /^BrokenExecutorError: Task 'square' from .*fork_bomb\.ts could not be loaded .*Cannot create (Worker|Process)PoolExecutor while a tandem worker imports .*fork_bomb\.ts to find task 'square'.*if \(import\.meta\.main\)/,
    );
    assert.ok(Number(alive.replace("workers alive: ", "")) <= 2, alive);
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
  });
}

Deno.test("without --allow-read, pools, threads and toThread fail every task with the platform's message; the pool breaks instead of restarting", async () => {
  const run = await runProgram("no_read.ts", [], []);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.equal(lines.length, 9, run.stdout);
  for (const line of lines) {
    assert.match(line, /BrokenExecutorError: .*Requires read access to ".*_worker_host\.ts"/);
  }
  assert.match(lines[6], /^submit after: .*WorkerPoolExecutor is broken: 3 workers in a row/);
  assert.match(lines[7], /^thread: /);
  assert.match(lines[8], /^toThread: /);
  assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
});

Deno.test("a Thread refuses a function argument at start(), and prints an unjoined thread's exception when it happens", async () => {
  const run = await runProgram("thread_args.ts", []);
  assert.equal(run.code, 0, run.stderr);
  const [start, joining, join] = run.stdout.trim().split("\n");
  assert.match(
    start,
    /^start: TypeError: Cannot start Thread-1 \(echo\): cannot run task 'echo' .*argument 1 is an anonymous function/,
  );
  assert.equal(joining, "joining");
  assert.equal(join, "join: thread failed");
  // Printed before the join, as Python's excepthook does.
  assert.match(
    run.stderr,
    /^Exception in thread Thread-2 \(failWith\):\nValidationError: thread failed/m,
  );
});

Deno.test("pools that are never shut down let the program exit as soon as its main module ends", async () => {
  const run = await runProgram("forgotten.ts", []);
  const exited = Date.now();
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split("\n");
  assert.deepEqual(lines.slice(0, 2), ["9 16", "25"]);
  const ended = Number(lines[2].replace("end ", ""));
  // 5 s (the idle timeout) before; typically 30-60 ms now, including the process's teardown.
  assert.ok(exited - ended < 1000, `exited ${exited - ended} ms after its main module ended`);
});

Deno.test("a timed-out CPU-bound task is stopped mid-computation: the program ends right after shutdown", async () => {
  const run = await runProgram("timed_out_spin.ts", []);
  const exited = Date.now();
  assert.equal(run.code, 0, run.stderr);
  const [error, end] = run.stdout.trim().split("\n");
  assert.match(error, /^TimeoutError: Task 'spin' .* did not finish within 200 ms/);
  const ended = Number(end.replace("end ", ""));
  assert.ok(exited - ended < 1000, `exited ${exited - ended} ms after its main module ended`);
  assert.ok(run.ms < 10_000, `took ${run.ms} ms (the task would spin for 30 s)`);
});

for (const signal of ["SIGKILL", "SIGTERM"] as const) {
  Deno.test(`a process-pool child busy in a computation exits within 1 s of its parent's ${signal}`, async () => {
    const parent = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("orphan.ts", programs).pathname],
      stdout: "piped",
      stderr: "null",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("spinning")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const child = Number(/child (\d+)/.exec(text)?.[1]);
    assert.ok(isRunning(child), "the child runs its task");
    parent.kill(signal);
    const killed = performance.now();
    await parent.status;
    await whenGone(child, 5000);
    const gone = performance.now() - killed;
    await reader.cancel();
    assert.ok(!isRunning(child), "the child outlived its parent by 5 s");
    assert.ok(gone < 1000, `the child ended ${gone.toFixed(0)} ms after its parent`);
  });
}

Deno.test("process-pool children use the parent's deno.json import map", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tandem-config-" });
  try {
    const root = new URL("../../", import.meta.url);
    const imports: Record<string, string> = { "mylib/": "./lib/" };
    for (
      const entry of [
        "",
        "/futures",
        "/parallel",
        "/threads",
        "/queue",
        "/coroutines",
        "/subprocess",
      ]
    ) {
      imports[`@tandem/tandem${entry}`] = new URL(`.${entry}/mod.ts`, root).href;
    }
    await Deno.mkdir(`${dir}/lib`);
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports }));
    await Deno.writeTextFile(`${dir}/lib/k.ts`, "export const K = 41;\n");
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      [
        'import { task } from "@tandem/tandem/futures";',
        'import { ProcessPoolExecutor } from "@tandem/tandem/parallel";',
        'import { K } from "mylib/k.ts";',
        "export const addK = task(import.meta.url, function addK(n: number) { return n + K; });",
        "if (import.meta.main) {",
        "  await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });",
        "  console.log(await pool.submit(addK, 1));",
        "}",
      ].join("\n"),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/main.ts`],
      cwd: "/",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    assert.equal(new TextDecoder().decode(output.stdout).trim(), "42");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
