import assert from "node:assert/strict";
import {
  CalledProcessError,
  CompletedProcess,
  run,
  SubprocessError,
  TimeoutExpired,
} from "@tandem/tandem/subprocess";
import { allBytes, processExists, tempDir, utf8, waitForFile } from "./_helpers.ts";

const MOD = new URL("../../subprocess/mod.ts", import.meta.url).href;

/**
 * Runs a Deno script (importing the module as `MOD`) in a child, with `stdin` as its input,
 * returning what it printed.
 */
async function denoScript(
  code: string,
  stdin = "",
): Promise<{ stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", code.replaceAll("MOD", JSON.stringify(MOD))],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(utf8(stdin));
  await writer.close();
  const output = await child.output();
  const decoder = new TextDecoder();
  const result = { stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
  assert.equal(output.code, 0, result.stderr);
  return result;
}

Deno.test("run() captures stdout and stderr", async (t) => {
  await t.step("as text with an encoding", async () => {
    const result = await run(["sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 0"], {
      capture: true,
      encoding: "utf-8",
    });
    assert.ok(result instanceof CompletedProcess);
    assert.deepEqual(result.args, ["sh", "-c", "printf 'out\\n'; printf 'err\\n' >&2; exit 0"]);
    assert.equal(result.returncode, 0);
    assert.equal(result.stdout, "out\n");
    assert.equal(result.stderr, "err\n");
  });

  await t.step("as bytes without an encoding", async () => {
    const result = await run(["printf", "\\001\\377"], { capture: true });
    assert.ok(result.stdout instanceof Uint8Array);
    assert.deepEqual([...result.stdout], [1, 255]);
    assert.deepEqual([...result.stderr!], []);
  });

  await t.step("decoding with the encoding given", async () => {
    const result = await run(["printf", "caf\\351"], { capture: true, encoding: "latin1" });
    assert.equal(result.stdout, "café");
  });

  await t.step("one stream at a time with stdout or stderr: 'pipe'", async () => {
    const out = await run(["sh", "-c", "echo out; echo err >&2"], {
      stdout: "pipe",
      stderr: "null",
      encoding: "utf-8",
    });
    assert.equal(out.stdout, "out\n");
    assert.equal(out.stderr, null);
    const err = await run(["sh", "-c", "echo out; echo err >&2"], {
      stdout: "null",
      stderr: "pipe",
      encoding: "utf-8",
    });
    assert.equal(err.stdout, null);
    assert.equal(err.stderr, "err\n");
  });
});

Deno.test("run() inherits the standard streams by default and captures nothing", async () => {
  const result = await run(["true"]);
  assert.equal(result.returncode, 0);
  assert.equal(result.stdout, null);
  assert.equal(result.stderr, null);
  // What an inheriting child prints reaches the parent's own streams.
  const { stdout, stderr } = await denoScript(`
    const { run } = await import(MOD);
    const result = await run(["sh", "-c", "echo to-stdout; echo to-stderr >&2"]);
    console.log("captured", result.stdout, result.stderr);
  `);
  assert.equal(stdout, "to-stdout\ncaptured null null\n");
  assert.equal(stderr, "to-stderr\n");
  // And what the parent reads on stdin, an inheriting child reads too.
  const fed = await denoScript(
    `
    const { run } = await import(MOD);
    const result = await run(["cat"], { stdout: "pipe", encoding: "utf-8" });
    console.log("child read", JSON.stringify(result.stdout));
  `,
    "from the parent's stdin\n",
  );
  assert.equal(fed.stdout, `child read "from the parent's stdin\\n"\n`);
});

Deno.test("run() with stdout and stderr 'null' discards the output", async () => {
  const { stdout, stderr } = await denoScript(`
    const { run } = await import(MOD);
    const result = await run(["sh", "-c", "echo lost; echo lost >&2"], { stdout: "null", stderr: "null" });
    console.log("status", result.returncode, result.stdout, result.stderr);
  `);
  assert.equal(stdout, "status 0 null null\n");
  assert.equal(stderr, "");
});

Deno.test("run() with stderr: 'stdout' merges stderr into stdout", async (t) => {
  await t.step("keeping every byte, each stream in its own order", async () => {
    const script = "for i in $(seq 1 200); do echo out$i; echo err$i >&2; done";
    const result = await run(["sh", "-c", script], {
      stdout: "pipe",
      stderr: "stdout",
      encoding: "utf-8",
    });
    assert.equal(result.stderr, null);
    const lines = result.stdout!.trimEnd().split("\n");
    assert.equal(lines.length, 400);
    const out = lines.filter((line) => line.startsWith("out"));
    const err = lines.filter((line) => line.startsWith("err"));
    assert.deepEqual(out, Array.from({ length: 200 }, (_, i) => `out${i + 1}`));
    assert.deepEqual(err, Array.from({ length: 200 }, (_, i) => `err${i + 1}`));
  });

  await t.step("into the parent's stdout when stdout is inherited", async () => {
    const { stdout, stderr } = await denoScript(`
      const { run } = await import(MOD);
      await run(["sh", "-c", "echo from-stderr >&2"], { stderr: "stdout" });
      console.log("done");
    `);
    assert.equal(stdout, "from-stderr\ndone\n");
    assert.equal(stderr, "");
  });

  await t.step("into nothing when stdout is 'null'", async () => {
    const { stdout, stderr } = await denoScript(`
      const { run } = await import(MOD);
      await run(["sh", "-c", "echo out; echo err >&2"], { stdout: "null", stderr: "stdout" });
      console.log("done");
    `);
    assert.equal(stdout, "done\n");
    assert.equal(stderr, "");
  });
});

Deno.test("run() writes input to the child's stdin and closes it", async (t) => {
  await t.step("from a string", async () => {
    const result = await run(["cat"], { input: "héllo\n", capture: true, encoding: "utf-8" });
    assert.equal(result.stdout, "héllo\n");
  });

  await t.step("from bytes", async () => {
    const result = await run(["wc", "-c"], { input: new Uint8Array(1234), capture: true });
    assert.equal(new TextDecoder().decode(result.stdout!).trim(), "1234");
  });

  await t.step("from a ReadableStream given as stdin", async () => {
    const stream = ReadableStream.from([utf8("one "), utf8("two")]);
    const result = await run(["cat"], { stdin: stream, capture: true, encoding: "utf-8" });
    assert.equal(result.stdout, "one two");
  });

  await t.step("empty, with stdin: 'pipe' or 'null'", async () => {
    for (const stdin of ["pipe", "null"] as const) {
      const result = await run(["wc", "-c"], { stdin, capture: true, encoding: "utf-8" });
      assert.equal(result.stdout!.trim(), "0");
    }
  });

  await t.step("even when the child exits without reading it", async () => {
    const result = await run(["true"], { input: new Uint8Array(4 << 20), capture: true });
    assert.equal(result.returncode, 0);
  });
});

Deno.test("run() moves tens of MB through stdin, stdout and stderr at once without deadlock", async () => {
  const size = 20 << 20;
  const input = new Uint8Array(size).fill(0x61);
  // The child echoes its input to stdout while writing as much again to stderr.
  const result = await run(
    ["sh", "-c", `head -c ${size} /dev/zero | tr '\\0' b >&2 & cat; wait`],
    { input, capture: true },
  );
  assert.equal(result.returncode, 0);
  assert.equal(result.stdout!.length, size);
  assert.equal(result.stderr!.length, size);
  assert.ok(allBytes(result.stdout!, 0x61));
  assert.ok(allBytes(result.stderr!, 0x62));
});

Deno.test("run() reports the exit status Python's way", async (t) => {
  await t.step("the exit code of a child that exits", async () => {
    assert.equal((await run(["sh", "-c", "exit 7"])).returncode, 7);
    assert.equal((await run(["sh", "-c", "exit 143"])).returncode, 143);
  });

  await t.step("-N for a child killed by signal N", async () => {
    assert.equal((await run(["sh", "-c", "kill -TERM $$"])).returncode, -15);
    assert.equal((await run(["sh", "-c", "kill -KILL $$"])).returncode, -9);
  });
});

Deno.test("run() with check", async (t) => {
  await t.step("throws CalledProcessError carrying the status and output", async () => {
    const error = await run(["sh", "-c", "echo partial; echo bad >&2; exit 3"], {
      capture: true,
      encoding: "utf-8",
      check: true,
    }).catch((e) => e);
    assert.ok(error instanceof CalledProcessError);
    assert.ok(error instanceof SubprocessError);
    assert.equal(error.name, "CalledProcessError");
    assert.equal(error.returncode, 3);
    assert.deepEqual(error.cmd, ["sh", "-c", "echo partial; echo bad >&2; exit 3"]);
    assert.equal(error.stdout, "partial\n");
    assert.equal(error.output, "partial\n");
    assert.equal(error.stderr, "bad\n");
  });

  await t.step("names the signal that killed the child", async () => {
    const error = await run(["sh", "-c", "kill -KILL $$"], { check: true }).catch((e) => e);
    assert.ok(error instanceof CalledProcessError);
    assert.equal(error.returncode, -9);
    assert.match(error.message, /died with signal SIGKILL \(9\)$/);
    assert.equal(error.stdout, null);
  });

  await t.step("returns the completed process when the status is 0", async () => {
    const result = await run(["true"], { check: true });
    assert.equal(result.returncode, 0);
  });

  await t.step("is off by default: a failing status is returned, not thrown", async () => {
    const result = await run(["false"]);
    assert.equal(result.returncode, 1);
    assert.throws(() => result.checkReturncode(), CalledProcessError);
  });
});

Deno.test("run() with timeout kills the child and carries partial output", async (t) => {
  await t.step("in TimeoutExpired, with the child gone", async () => {
    const start = performance.now();
    const error = await run(
      ["sh", "-c", "echo $$; echo partial >&2; exec sleep 10"],
      { capture: true, encoding: "utf-8", timeout: 300 },
    ).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    assert.ok(error instanceof SubprocessError);
    assert.ok(performance.now() - start < 5000, "run() waited for the child instead of killing");
    assert.equal(error.name, "TimeoutExpired");
    assert.equal(error.timeout, 300);
    assert.deepEqual(error.cmd, ["sh", "-c", "echo $$; echo partial >&2; exec sleep 10"]);
    assert.equal(
      error.message,
      `Command ["sh","-c","echo $$; echo partial >&2; exec sleep 10"] timed out after 300 ms`,
    );
    assert.match(String(error.stdout), /^\d+\n$/);
    assert.equal(error.output, error.stdout);
    assert.equal(error.stderr, "partial\n");
    assert.equal(processExists(Number(error.stdout)), false);
  });

  await t.step("as bytes without an encoding, and null for streams not captured", async () => {
    const error = await run(["sh", "-c", "printf abc; exec sleep 10"], {
      stdout: "pipe",
      timeout: 200,
    }).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    assert.deepEqual(error.stdout, utf8("abc"));
    assert.equal(error.stderr, null);
  });

  await t.step("even when the child ignores SIGTERM", async () => {
    const error = await run(
      ["sh", "-c", "trap '' TERM; echo $$; exec sleep 10"],
      { capture: true, encoding: "utf-8", timeout: 300 },
    ).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    assert.equal(processExists(Number(error.stdout)), false);
  });

  await t.step("without waiting for a grandchild that holds the pipes open", async () => {
    const start = performance.now();
    const error = await run(
      ["sh", "-c", "sleep 3 & echo $!; exec sleep 10"],
      { capture: true, encoding: "utf-8", timeout: 200 },
    ).catch((e) => e);
    const elapsed = performance.now() - start;
    assert.ok(error instanceof TimeoutExpired);
    const grandchild = Number(error.stdout);
    assert.ok(grandchild > 0);
    Deno.kill(grandchild, "SIGKILL");
    assert.ok(elapsed < 2500, `run() waited ${elapsed} ms for the grandchild`);
  });

  await t.step("not when the child finishes in time, however long the timeout", async () => {
    const result = await run(["echo", "quick"], { capture: true, timeout: 10_000 });
    assert.equal(result.returncode, 0);
    // Beyond setTimeout's 2^31 - 1 ms limit, and unlimited.
    assert.equal((await run(["sleep", "0.05"], { timeout: 2 ** 40 })).returncode, 0);
    assert.equal((await run(["sleep", "0.05"], { timeout: Infinity })).returncode, 0);
  });
});

Deno.test("run() with signal kills the child and rejects with the reason", async (t) => {
  await t.step("when aborted while the child runs", async () => {
    using dir = tempDir();
    const pidFile = `${dir.path}/pid`;
    const controller = new AbortController();
    const reason = new Error("stop now");
    const pending = run(["sh", "-c", `echo $$ > ${pidFile}; exec sleep 10`], {
      capture: true,
      signal: controller.signal,
    });
    const pid = Number(await waitForFile(pidFile));
    assert.equal(processExists(pid), true);
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    assert.equal(processExists(pid), false);
  });

  await t.step("without starting the child when already aborted", async () => {
    using dir = tempDir();
    const marker = `${dir.path}/started`;
    const reason = new Error("never mind");
    await assert.rejects(
      run(["sh", "-c", `touch ${marker}`], { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    // A child started and killed at once could still have run; none may have been started.
    await run(["sleep", "0.05"]);
    assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound);
  });

  await t.step("and changes nothing when not aborted", async () => {
    const controller = new AbortController();
    const result = await run(["true"], { signal: controller.signal });
    assert.equal(result.returncode, 0);
  });
});

Deno.test("run() honours cwd, env and clearEnv", async (t) => {
  await t.step("cwd as a path or a file URL", async () => {
    using dir = tempDir();
    const real = Deno.realPathSync(dir.path);
    const byPath = await run(["pwd"], { cwd: dir.path, capture: true, encoding: "utf-8" });
    assert.equal(byPath.stdout, `${real}\n`);
    const url = new URL(`file://${dir.path}`);
    const byUrl = await run(["pwd"], { cwd: url, capture: true, encoding: "utf-8" });
    assert.equal(byUrl.stdout, `${real}\n`);
  });

  await t.step("env adds to the parent's environment", async () => {
    const result = await run(["sh", "-c", 'echo "$TANDEM_A:${PATH:+has-path}"'], {
      env: { TANDEM_A: "one" },
      capture: true,
      encoding: "utf-8",
    });
    assert.equal(result.stdout, "one:has-path\n");
  });

  await t.step("clearEnv leaves only env", async () => {
    const result = await run(["env"], {
      env: { TANDEM_B: "two" },
      clearEnv: true,
      capture: true,
      encoding: "utf-8",
    });
    assert.equal(result.stdout, "TANDEM_B=two\n");
  });
});

Deno.test("run() fails clearly for a program or cwd that does not exist", async (t) => {
  await t.step("NotFound naming the program", async () => {
    await assert.rejects(
      run(["tandem-no-such-program", "arg"]),
      (e) => e instanceof Deno.errors.NotFound && /tandem-no-such-program/.test(e.message),
    );
  });

  await t.step("NotFound naming the cwd", async () => {
    await assert.rejects(
      run(["true"], { cwd: "/tandem/no/such/dir" }),
      (e) => e instanceof Deno.errors.NotFound && /\/tandem\/no\/such\/dir/.test(e.message),
    );
  });

  await t.step("PermissionDenied for a file that is not executable", async () => {
    using dir = tempDir();
    const file = `${dir.path}/script`;
    Deno.writeTextFileSync(file, "echo hi\n");
    await assert.rejects(run([file]), Deno.errors.PermissionDenied);
  });
});

Deno.test("run() rejects bad arguments with an error naming the parameter and value", async (t) => {
  const cases: [string, () => Promise<unknown>, ErrorConstructor, string][] = [
    [
      "empty args",
      () => run([]),
      TypeError,
      "Cannot run process: 'args' must be a non-empty array of strings, received an array of length 0",
    ],
    [
      "a string for args",
      () => run("ls -l" as unknown as string[]),
      TypeError,
      `Cannot run process: 'args' must be a non-empty array of strings, received "ls -l" (a string)`,
    ],
    [
      "a non-string argument",
      () => run(["echo", 1 as unknown as string]),
      TypeError,
      "Cannot run process: 'args[1]' must be a string, received 1",
    ],
    [
      "an empty program",
      () => run([""]),
      TypeError,
      `Cannot run process: 'args[0]' must be a non-empty program name, received "" (a string)`,
    ],
    [
      "a NUL in an argument",
      () => run(["echo", "a\0b"]),
      TypeError,
      `Cannot run process: 'args[1]' must be a string without NUL characters, received "a\\u0000b" (a string)`,
    ],
    [
      "a negative timeout",
      () => run(["true"], { timeout: -1 }),
      RangeError,
      "Cannot run process: 'timeout' must be a non-negative number of milliseconds, received -1",
    ],
    [
      "a NaN timeout",
      () => run(["true"], { timeout: NaN }),
      RangeError,
      "Cannot run process: 'timeout' must be a non-negative number of milliseconds, received NaN",
    ],
    [
      "a string timeout",
      () => run(["true"], { timeout: "1" as unknown as number }),
      TypeError,
      `Cannot run process: 'timeout' must be a non-negative number of milliseconds, received "1" (a string)`,
    ],
    [
      "Deno's 'piped' for stdout",
      () => run(["true"], { stdout: "piped" as "pipe" }),
      TypeError,
      `Cannot run process: 'stdout' must be one of "pipe", "inherit", "null", received "piped" (a string)`,
    ],
    [
      "a bad stderr",
      () => run(["true"], { stderr: "stderr" as "pipe" }),
      TypeError,
      `Cannot run process: 'stderr' must be one of "pipe", "inherit", "null", "stdout", received "stderr" (a string)`,
    ],
    [
      "a bad stdin",
      () => run(["true"], { stdin: 0 as unknown as "pipe" }),
      TypeError,
      `Cannot run process: 'stdin' must be one of "pipe", "inherit", "null" or a ReadableStream, received 0`,
    ],
    [
      "an unknown encoding",
      () => run(["true"], { encoding: "klingon" }),
      RangeError,
      `Cannot run process: 'encoding' must be an encoding label TextDecoder supports, received "klingon" (a string)`,
    ],
    [
      "a non-string encoding",
      () => run(["true"], { encoding: 8 as unknown as string }),
      TypeError,
      `Cannot run process: 'encoding' must be an encoding label such as "utf-8", received 8`,
    ],
    [
      "a number as input",
      () => run(["true"], { input: 5 as unknown as string }),
      TypeError,
      "Cannot run process: 'input' must be a string or a Uint8Array, received 5",
    ],
    [
      "input together with stdin",
      () => run(["cat"], { input: "x", stdin: "null" }),
      TypeError,
      `Cannot run process: 'stdin' must be left out when 'input' is given, received "null" (a string)`,
    ],
    [
      "capture together with stdout",
      () => run(["true"], { capture: true, stdout: "pipe" }),
      TypeError,
      `Cannot run process: 'capture' must be left out when 'stdout' or 'stderr' is given, received { capture: true, stdout: "pipe", stderr: undefined }`,
    ],
    [
      "a non-boolean check",
      () => run(["true"], { check: "yes" as unknown as boolean }),
      TypeError,
      `Cannot run process: 'check' must be a boolean, received "yes" (a string)`,
    ],
    [
      "a non-boolean capture",
      () => run(["true"], { capture: 1 as unknown as boolean }),
      TypeError,
      "Cannot run process: 'capture' must be a boolean, received 1",
    ],
    [
      "a non-boolean clearEnv",
      () => run(["true"], { clearEnv: "no" as unknown as boolean }),
      TypeError,
      `Cannot run process: 'clearEnv' must be a boolean, received "no" (a string)`,
    ],
    [
      "a non-string env value",
      () => run(["true"], { env: { A: 1 as unknown as string } }),
      TypeError,
      "Cannot run process: 'env.A' must be a string, received 1",
    ],
    [
      "an env that is not an object",
      () => run(["true"], { env: "A=1" as unknown as Record<string, string> }),
      TypeError,
      `Cannot run process: 'env' must be an object of strings, received "A=1" (a string)`,
    ],
    [
      "an empty cwd",
      () => run(["true"], { cwd: "" }),
      TypeError,
      `Cannot run process: 'cwd' must be a non-empty string or URL, received "" (a string)`,
    ],
    [
      "a signal that is not an AbortSignal",
      () => run(["true"], { signal: {} as AbortSignal }),
      TypeError,
      "Cannot run process: 'signal' must be an AbortSignal, received an object",
    ],
    [
      "options that are not an object",
      () => run(["true"], 5 as unknown as object),
      TypeError,
      "Cannot run process: 'options' must be an object, received 5",
    ],
    [
      "Python's option name",
      () => run(["true"], { capture_output: true } as object),
      TypeError,
      "Cannot run process: 'options' has no field 'capture_output' (known fields: stdin, stdout, stderr, cwd, env, clearEnv, processGroup, startNewSession, capture, encoding, input, timeout, check, signal)",
    ],
  ];
  for (const [name, call, type, message] of cases) {
    await t.step(name, async () => {
      const error = await call().then(() => undefined, (e) => e);
      assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
      assert.equal(error.message, message);
    });
  }
});
