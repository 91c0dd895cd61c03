import assert from "node:assert/strict";
import {
  CalledProcessError,
  CompletedProcess,
  SubprocessError,
  TimeoutExpired,
} from "@tandem/tandem/subprocess";
import { utf8 } from "./_helpers.ts";

Deno.test("TimeoutExpired carries the command, timeout and output so far", () => {
  const cause = new Error("root");
  const error = new TimeoutExpired(["sleep", "10"], 100, { stdout: "so far", stderr: "", cause });
  assert.ok(error instanceof SubprocessError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, "TimeoutExpired");
  assert.equal(error.message, `Command ["sleep","10"] timed out after 100 ms`);
  assert.deepEqual(error.cmd, ["sleep", "10"]);
  assert.equal(error.timeout, 100);
  assert.equal(error.stdout, "so far");
  assert.equal(error.output, "so far");
  assert.equal(error.stderr, "");
  assert.equal(error.cause, cause);

  const bare = new TimeoutExpired(["x"], 0);
  assert.equal(bare.stdout, null);
  assert.equal(bare.stderr, null);
  assert.equal(bare.output, null);
});

Deno.test("CalledProcessError describes the exit status as Python does", async (t) => {
  await t.step("a non-zero exit code", () => {
    const error = new CalledProcessError(2, ["false"], { stdout: utf8("out"), stderr: utf8("e") });
    assert.ok(error instanceof SubprocessError);
    assert.equal(error.name, "CalledProcessError");
    assert.equal(error.message, `Command ["false"] returned non-zero exit status 2`);
    assert.equal(error.returncode, 2);
    assert.deepEqual(error.cmd, ["false"]);
    assert.deepEqual(error.stdout, utf8("out"));
    assert.equal(error.output, error.stdout);
    assert.deepEqual(error.stderr, utf8("e"));
  });

  await t.step("death by a signal, named when the number is portable", () => {
    assert.equal(
      new CalledProcessError(-15, ["sleep", "9"]).message,
      `Command ["sleep","9"] died with signal SIGTERM (15)`,
    );
    assert.equal(new CalledProcessError(-40, ["x"]).message, `Command ["x"] died with signal 40`);
  });

  await t.step("a long command line, shortened", () => {
    const error = new CalledProcessError(1, ["echo", "y".repeat(1000)]);
    assert.ok(error.message.length < 300);
    assert.match(error.message, /\.\.\. returned non-zero exit status 1$/);
  });
});

Deno.test("SubprocessError is the base class, with a name and a cause", () => {
  const cause = new Error("why");
  const error = new SubprocessError("it broke", { cause });
  assert.equal(error.name, "SubprocessError");
  assert.equal(error.message, "it broke");
  assert.equal(error.cause, cause);
  assert.equal(new SubprocessError().message, "A child process failed");
});

Deno.test("CompletedProcess.checkReturncode() throws CalledProcessError unless the status is 0", () => {
  const ok = new CompletedProcess(["true"], 0, { stdout: "fine", stderr: null });
  ok.checkReturncode();
  assert.equal(ok.stdout, "fine");
  assert.equal(ok.stderr, null);

  const failed = new CompletedProcess(["sh", "-c", "exit 4"], 4, { stdout: "o", stderr: "e" });
  assert.throws(
    () => failed.checkReturncode(),
    (e) =>
      e instanceof CalledProcessError && e.returncode === 4 && e.stdout === "o" &&
      e.stderr === "e" && e.cmd === failed.args,
  );
  const killed = new CompletedProcess(["sleep", "5"], -9);
  assert.equal(killed.stdout, null);
  assert.throws(() => killed.checkReturncode(), /died with signal SIGKILL \(9\)/);
});
