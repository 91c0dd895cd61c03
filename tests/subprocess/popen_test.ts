import assert from "node:assert/strict";
import { Popen, TimeoutExpired } from "@tandem/tandem/subprocess";
import {
  allBytes,
  processExists,
  readChunk,
  readUntil,
  tempDir,
  utf8,
  waitForFile,
  writeText,
} from "./_helpers.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("Popen starts the child at once and poll() reports its exit without blocking", async () => {
  using dir = tempDir();
  const go = `${dir.path}/go`;
  const proc = new Popen(["sh", "-c", `while [ ! -e ${go} ]; do sleep 0.01; done; exit 4`]);
  assert.ok(proc.pid > 0);
  assert.equal(processExists(proc.pid), true);
  assert.deepEqual(proc.args, ["sh", "-c", `while [ ! -e ${go} ]; do sleep 0.01; done; exit 4`]);
  // The child waits for us, so it is certainly running: poll() answers at once.
  assert.equal(proc.poll(), null);
  assert.equal(proc.returncode, null);
  await sleep(20);
  assert.equal(proc.poll(), null);
  Deno.writeTextFileSync(go, "");
  let polls = 0;
  while (proc.poll() === null) {
    polls++;
    await sleep(10);
  }
  assert.ok(polls >= 1);
  assert.equal(proc.poll(), 4);
  assert.equal(proc.returncode, 4);
  assert.equal(processExists(proc.pid), false);
});

Deno.test("Popen.wait() waits for the exit", async (t) => {
  await t.step("and returns the exit status", async () => {
    const proc = new Popen(["sh", "-c", "exit 3"]);
    assert.equal(await proc.wait(), 3);
    assert.equal(await proc.wait(), 3);
  });

  await t.step("with a timeout, throws TimeoutExpired and leaves the child running", async () => {
    const proc = new Popen(["sleep", "10"]);
    const error = await proc.wait({ timeout: 50 }).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    assert.equal(error.timeout, 50);
    assert.deepEqual(error.cmd, ["sleep", "10"]);
    assert.equal(error.stdout, null);
    assert.equal(proc.poll(), null);
    assert.equal(processExists(proc.pid), true);
    proc.kill();
    assert.equal(await proc.wait({ timeout: 10_000 }), -9);
  });

  await t.step("with timeout 0, returns the status of a child that has exited", async () => {
    const proc = new Popen(["true"]);
    await proc.wait();
    assert.equal(await proc.wait({ timeout: 0 }), 0);
  });

  await t.step("with a signal, rejects with its reason and leaves the child running", async () => {
    const proc = new Popen(["sleep", "10"]);
    const controller = new AbortController();
    const pending = proc.wait({ signal: controller.signal });
    const reason = new Error("enough");
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
    await assert.rejects(proc.wait({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal(proc.poll(), null);
    proc.terminate();
    assert.equal(await proc.wait(), -15);
  });
});

Deno.test("awaiting a Popen gives its exit status", async () => {
  const procs = [0, 1, 2].map((code) => new Popen(["sh", "-c", `exit ${code}`]));
  assert.deepEqual(await Promise.all(procs), [0, 1, 2]);
  assert.equal(await procs[1], 1);
});

Deno.test("Popen.communicate() sends input, collects output and waits", async (t) => {
  await t.step("as bytes, or as text with an encoding", async () => {
    await using proc = new Popen(["sh", "-c", "cat; echo err >&2; exit 5"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
    });
    const { stdout, stderr } = await proc.communicate({ input: "in" });
    assert.deepEqual(stdout, utf8("in"));
    assert.deepEqual(stderr, utf8("err\n"));
    assert.equal(proc.returncode, 5);
    // Once everything has been collected, later calls return it again.
    const again = await proc.communicate({ encoding: "utf-8" });
    assert.deepEqual(again, { stdout: "in", stderr: "err\n" });
  });

  await t.step("after the caller has written to stdin and closed it", async () => {
    await using proc = new Popen(["cat"], { stdin: "pipe", stdout: "pipe" });
    await writeText(proc.stdin!, "by hand");
    await proc.stdin!.close();
    const { stdout } = await proc.communicate({ encoding: "utf-8" });
    assert.equal(stdout, "by hand");
  });

  await t.step("with stderr merged into stdout", async () => {
    await using proc = new Popen(["sh", "-c", "echo err >&2"], {
      stdout: "pipe",
      stderr: "stdout",
    });
    assert.deepEqual(await proc.communicate({ encoding: "utf-8" }), {
      stdout: "err\n",
      stderr: null,
    });
  });

  await t.step("in the given cwd and env", async () => {
    using dir = tempDir();
    await using proc = new Popen(["sh", "-c", 'pwd; echo "$TANDEM_C"; echo "${HOME:-none}"'], {
      stdout: "pipe",
      cwd: dir.path,
      env: { TANDEM_C: "three" },
      clearEnv: true,
    });
    const { stdout } = await proc.communicate({ encoding: "utf-8" });
    assert.equal(stdout, `${Deno.realPathSync(dir.path)}\nthree\nnone\n`);
  });

  await t.step("with null for streams that are not piped", async () => {
    const proc = new Popen(["true"], { stdout: "null", stderr: "null" });
    assert.deepEqual(await proc.communicate(), { stdout: null, stderr: null });
    assert.equal(proc.returncode, 0);
  });

  await t.step("closing a piped stdin even without input", async () => {
    await using proc = new Popen(["wc", "-c"], { stdin: "pipe", stdout: "pipe" });
    const { stdout } = await proc.communicate({ encoding: "utf-8" });
    assert.equal(stdout!.trim(), "0");
  });

  await t.step("moving tens of MB in all three streams at once without deadlock", async () => {
    const size = 16 << 20;
    await using proc = new Popen(
      ["sh", "-c", `head -c ${size} /dev/zero | tr '\\0' e >&2 & cat; wait`],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
    );
    const { stdout, stderr } = await proc.communicate({ input: new Uint8Array(size).fill(0x6f) });
    assert.equal(stdout!.length, size);
    assert.equal(stderr!.length, size);
    assert.ok(allBytes(stdout!, 0x6f));
    assert.ok(allBytes(stderr!, 0x65));
    assert.equal(proc.returncode, 0);
  });
});

Deno.test("Popen.communicate() after a timeout can still collect everything", async () => {
  using dir = tempDir();
  const ready = `${dir.path}/ready`;
  const go = `${dir.path}/go`;
  await using proc = new Popen(
    [
      "sh",
      "-c",
      `echo before; echo warn >&2; echo >${ready}; while [ ! -e ${go} ]; do sleep 0.01; done; echo after`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  await waitForFile(ready);
  // The child has written "before" and now waits for us: the call must time out.
  const error = await proc.communicate({ timeout: 200, encoding: "utf-8" }).catch((e) => e);
  assert.ok(error instanceof TimeoutExpired);
  assert.equal(error.stdout, "before\n");
  assert.equal(error.stderr, "warn\n");
  assert.equal(proc.poll(), null);

  // An abort also leaves everything running.
  const reason = new Error("not yet");
  const controller = new AbortController();
  const aborted = proc.communicate({ signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(aborted, (e) => e === reason);

  Deno.writeTextFileSync(go, "");
  const { stdout, stderr } = await proc.communicate({ encoding: "utf-8" });
  assert.equal(stdout, "before\nafter\n");
  assert.equal(stderr, "warn\n");
  assert.equal(proc.returncode, 0);
});

Deno.test("Popen.communicate() refuses what it cannot do, before starting anything", async (t) => {
  await t.step("input when stdin is not piped", async () => {
    await using proc = new Popen(["true"], { stdout: "pipe" });
    await assert.rejects(
      proc.communicate({ input: "x" }),
      new TypeError(
        `Cannot communicate with process: 'input' must be left out unless stdin is "pipe", received "x" (a string)`,
      ),
    );
    // Nothing started: the stream is still the caller's to read.
    assert.equal(await new Response(proc.stdout).text(), "");
  });

  await t.step("input once communication has started", async () => {
    await using proc = new Popen(["cat"], { stdin: "pipe", stdout: "pipe" });
    const first = await proc.communicate({ input: "a", encoding: "utf-8" });
    assert.equal(first.stdout, "a");
    await assert.rejects(
      proc.communicate({ input: "b" }),
      /'input' must be left out once communication has started/,
    );
  });

  await t.step("reading a stream the caller holds a reader on", async () => {
    await using proc = new Popen(["echo", "mine"], { stdout: "pipe" });
    const reader = proc.stdout!.getReader();
    await assert.rejects(
      proc.communicate(),
      new TypeError(
        "Cannot communicate with process: 'stdout' is locked by a reader; release it first",
      ),
    );
    assert.equal(new TextDecoder().decode((await reader.read()).value), "mine\n");
    reader.releaseLock();
  });

  await t.step("writing to a stdin the caller holds a writer on", async () => {
    await using proc = new Popen(["cat"], { stdin: "pipe", stdout: "null" });
    const writer = proc.stdin!.getWriter();
    await assert.rejects(proc.communicate(), /'stdin' is locked by a writer; release it first/);
    await writer.close();
    assert.equal(await proc.wait(), 0);
  });

  await t.step("bad options", async () => {
    await using proc = new Popen(["true"]);
    await assert.rejects(
      proc.communicate({ timeout: -5 }),
      new RangeError(
        "Cannot communicate with process: 'timeout' must be a non-negative number of milliseconds, received -5",
      ),
    );
    await assert.rejects(proc.communicate({ encoding: "nope" }), RangeError);
    await assert.rejects(proc.communicate({ input: 3 as unknown as string }), TypeError);
    await assert.rejects(proc.communicate({ signal: "x" as unknown as AbortSignal }), TypeError);
    await assert.rejects(
      proc.communicate({ timeout: 1, tiemout: 1 } as object),
      /'options' has no field 'tiemout'/,
    );
  });
});

Deno.test("Popen.terminate(), kill() and sendSignal() signal the child", async (t) => {
  await t.step("terminate() gives -15, as in Python", async () => {
    const proc = new Popen(["sleep", "10"]);
    proc.terminate();
    assert.equal(await proc.wait(), -15);
  });

  await t.step("kill() gives -9", async () => {
    const proc = new Popen(["sleep", "10"]);
    proc.kill();
    assert.equal(await proc.wait(), -9);
  });

  await t.step("sendSignal() takes a name or a number", async () => {
    const byName = new Popen(["sleep", "10"]);
    byName.sendSignal("SIGUSR1");
    assert.equal(await byName.wait(), -10);
    const byNumber = new Popen(["sleep", "10"]);
    byNumber.sendSignal(2);
    assert.equal(await byNumber.wait(), -2);
  });

  await t.step("a child that ignores SIGTERM survives terminate() but not kill()", async () => {
    await using proc = new Popen(["sh", "-c", "trap '' TERM; echo ready; exec sleep 10"], {
      stdout: "pipe",
    });
    // Once "ready" is out, the trap is set (and survives exec).
    assert.equal(await readUntil(proc.stdout!, "ready\n"), "ready\n");
    proc.terminate();
    await assert.rejects(proc.wait({ timeout: 300 }), TimeoutExpired);
    assert.equal(proc.poll(), null);
    proc.kill();
    assert.equal(await proc.wait(), -9);
  });

  await t.step("signalling a child that has exited does nothing", async () => {
    const proc = new Popen(["true"]);
    assert.equal(await proc.wait(), 0);
    proc.terminate();
    proc.kill();
    proc.sendSignal("SIGUSR1");
    assert.equal(proc.returncode, 0);
  });

  await t.step("a bad signal is a TypeError naming it", async () => {
    await using proc = new Popen(["sleep", "10"]);
    assert.throws(
      () => proc.sendSignal("SIGNOPE" as Deno.Signal),
      new TypeError(
        `Cannot send signal to process: 'signal' must be a signal name such as "SIGTERM" or a signal number, received "SIGNOPE" (a string)`,
      ),
    );
    assert.throws(() => proc.sendSignal(-1), TypeError);
    assert.throws(() => proc.sendSignal(1.5), TypeError);
    assert.throws(
      () => proc.sendSignal(999),
      new TypeError(
        "Cannot send signal to process: 'signal' must be a signal this platform supports, received 999",
      ),
    );
    assert.equal(proc.poll(), null);
  });
});

Deno.test("Popen exposes piped streams as web streams", async (t) => {
  await t.step("stdin to write and stdout to read, interactively", async () => {
    await using proc = new Popen(["cat"], { stdin: "pipe", stdout: "pipe" });
    assert.equal(proc.stderr, null);
    await writeText(proc.stdin!, "ping\n");
    assert.equal(await readUntil(proc.stdout!, "ping\n"), "ping\n");
    await writeText(proc.stdin!, "pong\n");
    assert.equal(await readUntil(proc.stdout!, "pong\n"), "pong\n");
    await proc.stdin!.close();
    assert.equal(await readChunk(proc.stdout!), null);
    assert.equal(await proc.wait(), 0);
  });

  await t.step("null for streams that are not piped", async () => {
    await using proc = new Popen(["true"], { stdout: "null" });
    assert.equal(proc.stdin, null);
    assert.equal(proc.stdout, null);
    assert.equal(proc.stderr, null);
    await proc.wait();
  });

  await t.step("stderr: 'stdout' merges in the order the child writes", async () => {
    // The child waits for a line from us between writes, so the order is certain.
    await using proc = new Popen(
      ["sh", "-c", "echo out1; read a; echo err1 >&2; read b; echo out2"],
      { stdin: "pipe", stdout: "pipe", stderr: "stdout" },
    );
    assert.equal(proc.stderr, null);
    let merged = await readUntil(proc.stdout!, "out1\n");
    await writeText(proc.stdin!, "\n");
    merged += await readUntil(proc.stdout!, "err1\n");
    await writeText(proc.stdin!, "\n");
    merged += await readUntil(proc.stdout!, "out2\n");
    assert.equal(merged, "out1\nerr1\nout2\n");
    await proc.stdin!.close();
    assert.equal(await readChunk(proc.stdout!), null);
  });

  await t.step("communicate() collects what the caller has not read", async () => {
    await using proc = new Popen(["sh", "-c", "echo one; read x; echo two"], {
      stdin: "pipe",
      stdout: "pipe",
    });
    assert.equal(await readUntil(proc.stdout!, "one\n"), "one\n");
    const { stdout } = await proc.communicate({ encoding: "utf-8" });
    assert.equal(stdout, "two\n");
    // communicate() has read the stream to its end.
    assert.equal(await readChunk(proc.stdout!), null);
  });
});

Deno.test("Popen children can be piped together", async (t) => {
  await t.step("in a pipeline of three processes", async () => {
    await using numbers = new Popen(["seq", "1", "100000"], { stdout: "pipe" });
    await using sevens = new Popen(["grep", "7"], { stdin: numbers.stdout!, stdout: "pipe" });
    await using count = new Popen(["wc", "-l"], { stdin: sevens.stdout!, stdout: "pipe" });
    const { stdout } = await count.communicate({ encoding: "utf-8" });
    let expected = 0;
    for (let i = 1; i <= 100_000; i++) if (String(i).includes("7")) expected++;
    assert.equal(Number(stdout!.trim()), expected);
    assert.deepEqual(await Promise.all([numbers, sevens, count]), [0, 0, 0]);
  });

  await t.step("as in the book: encode, then hash, several pipelines in parallel", async () => {
    async function encodeThenHash(data: Uint8Array): Promise<string> {
      await using encode = new Popen(["base64"], { stdin: "pipe", stdout: "pipe" });
      await using hash = new Popen(["sha256sum"], { stdin: encode.stdout!, stdout: "pipe" });
      const writer = encode.stdin!.getWriter();
      await writer.write(data);
      await writer.close();
      const { stdout } = await hash.communicate({ encoding: "utf-8" });
      assert.equal(await encode.wait(), 0);
      return stdout!.split(" ")[0];
    }
    const inputs = [0, 1, 2, 3].map((i) => new Uint8Array(1000 + i).fill(i));
    const digests = await Promise.all(inputs.map(encodeThenHash));
    for (const [i, digest] of digests.entries()) {
      // base64 wraps its output at 76 columns.
      const encoded = btoa(String.fromCharCode(...inputs[i])).match(/.{1,76}/g)!.join("\n") + "\n";
      const expected = await crypto.subtle.digest("SHA-256", utf8(encoded));
      const hex = Array.from(new Uint8Array(expected), (b) => b.toString(16).padStart(2, "0"));
      assert.equal(digest, hex.join(""));
    }
  });

  await t.step("and the upstream gets SIGPIPE when the downstream exits early", async () => {
    await using yes = new Popen(["yes"], { stdout: "pipe" });
    await using head = new Popen(["head", "-c", "5"], { stdin: yes.stdout!, stdout: "pipe" });
    const { stdout } = await head.communicate({ encoding: "utf-8" });
    assert.equal(stdout, "y\ny\ny");
    assert.equal(await yes.wait(), -13);
  });

  await t.step("and disposing the downstream cancels the stream feeding it", async () => {
    let cancelled: unknown = undefined;
    const source = new ReadableStream<Uint8Array>({
      pull: () => new Promise<void>(() => {}), // never produces anything
      cancel: (reason) => {
        cancelled = reason;
      },
    });
    const proc = new Popen(["cat"], { stdin: source, stdout: "null" });
    assert.equal(proc.stdin, null);
    assert.equal(source.locked, true);
    await proc[Symbol.asyncDispose]();
    assert.ok(cancelled instanceof Error);
    assert.equal(proc.returncode, -9);
  });
});

Deno.test("many Popen children run in parallel", async () => {
  const start = performance.now();
  const procs = Array.from({ length: 10 }, () => new Popen(["sleep", "0.1"]));
  for (const proc of procs) await proc.communicate();
  const elapsed = performance.now() - start;
  assert.ok(procs.every((proc) => proc.returncode === 0));
  // Run one after another, they would take at least 1 s.
  assert.ok(elapsed < 1000, `10 parallel sleeps took ${elapsed} ms`);
});

Deno.test("disposing a Popen kills a running child and releases its pipes", async (t) => {
  await t.step("with await using", async () => {
    let pid = 0;
    {
      await using proc = new Popen(["sleep", "10"], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      pid = proc.pid;
      assert.equal(processExists(pid), true);
    }
    assert.equal(processExists(pid), false);
  });

  await t.step("ending the caller's reads and failing the caller's writes", async () => {
    const proc = new Popen(["sh", "-c", "echo hi; exec sleep 10"], {
      stdin: "pipe",
      stdout: "pipe",
    });
    const reader = proc.stdout!.getReader();
    const writer = proc.stdin!.getWriter();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "hi\n");
    const pendingRead = reader.read();
    await proc[Symbol.asyncDispose]();
    assert.deepEqual(await pendingRead, { done: true, value: undefined });
    await assert.rejects(writer.write(utf8("late")));
    assert.equal(proc.returncode, -9);
    assert.equal(processExists(proc.pid), false);
    // Disposing again is harmless.
    await proc[Symbol.asyncDispose]();
  });

  await t.step("discarding unread output of a child that has exited", async () => {
    const proc = new Popen(["sh", "-c", "echo unread; echo unread >&2"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    assert.equal(await proc.wait(), 0);
    await proc[Symbol.asyncDispose]();
    assert.equal(proc.returncode, 0);
  });

  await t.step("while a communicate() that timed out is still reading", async () => {
    const proc = new Popen(["sh", "-c", "echo $$; exec sleep 10"], { stdout: "pipe" });
    const error = await proc.communicate({ timeout: 100, encoding: "utf-8" }).catch((e) => e);
    assert.ok(error instanceof TimeoutExpired);
    await proc[Symbol.asyncDispose]();
    assert.equal(proc.returncode, -9);
    assert.equal(processExists(proc.pid), false);
  });
});

Deno.test("Popen fails clearly on bad input and leaves nothing behind", async (t) => {
  await t.step("NotFound naming a missing program, thrown by the constructor", () => {
    assert.throws(
      () => new Popen(["tandem-no-such-program"]),
      (e) => e instanceof Deno.errors.NotFound && /tandem-no-such-program/.test(e.message),
    );
  });

  await t.step("TypeError naming a bad argument or option", () => {
    assert.throws(
      () => new Popen([]),
      new TypeError(
        "Cannot start process: 'args' must be a non-empty array of strings, received an array of length 0",
      ),
    );
    assert.throws(
      () => new Popen(["cat"], { stdin: "piped" as "pipe" }),
      /Cannot start process: 'stdin' must be one of "pipe", "inherit", "null" or a ReadableStream, received "piped" \(a string\)/,
    );
    assert.throws(() => new Popen(["cat"], { stdout: "stdout" as "pipe" }), TypeError);
    assert.throws(() => new Popen(["cat"], { stderr: 2 as unknown as "pipe" }), TypeError);
    assert.throws(() => new Popen(["cat"], { timeout: 5 } as object), /no field 'timeout'/);
    assert.throws(() => new Popen(["true"], { env: { A: 1 as unknown as string } }), /'env.A'/);
  });

  await t.step("TypeError for a stdin stream that is already locked", () => {
    const stream = new ReadableStream<Uint8Array>();
    const reader = stream.getReader();
    assert.throws(
      () => new Popen(["cat"], { stdin: stream }),
      /'stdin' must be an unlocked ReadableStream/,
    );
    reader.releaseLock();
  });

  await t.step("bad wait() options", async () => {
    await using proc = new Popen(["true"]);
    await assert.rejects(
      proc.wait({ timeout: -1 }),
      new RangeError(
        "Cannot wait for process: 'timeout' must be a non-negative number of milliseconds, received -1",
      ),
    );
    await assert.rejects(proc.wait({ signal: 1 as unknown as AbortSignal }), TypeError);
    await assert.rejects(proc.wait(null as unknown as object), /'options' must be an object/);
  });
});
