// Type-level checks: `deno check` fails if any @ts-expect-error line below compiles, so these
// prove that task arguments and results are typed end to end.
import assert from "node:assert/strict";
import type { Executor, Future, Task } from "@tandem/tandem/futures";
import { TestExecutor } from "./_helpers.ts";
import { failOn, identity } from "./_tasks.ts";
import { double, gcd } from "../../examples/tasks.ts";

function typeChecks(executor: Executor): void {
  const ok: Future<number> = executor.submit(gcd, [4, 6]);
  void ok;
  // @ts-expect-error: gcd takes a pair of numbers, not a string
  executor.submit(gcd, "4, 6");
  // @ts-expect-error: gcd takes one argument
  executor.submit(gcd, [4, 6], 1);
  // @ts-expect-error: gcd returns a number, not a string
  const wrong: Future<string> = executor.submit(gcd, [4, 6]);
  void wrong;
  // @ts-expect-error: failOn's first parameter is a number
  executor.submit(failOn, "3");
  // @ts-expect-error: map items must match the task's parameter
  executor.map(gcd, ["a", "b"]);
  const typed: Task<[number, number?], number> = failOn;
  void typed;
}

Deno.test("submit() infers the result type from the task", async () => {
  typeChecks(new TestExecutor());
  await using executor = new TestExecutor();
  const result: number = await executor.submit(gcd, [12, 18]);
  assert.equal(result, 6);
  const doubled: number = await executor.submit(double, 21);
  assert.equal(doubled, 42);
  // A generic function's type parameters do not survive task(): its values are `unknown`.
  const same: unknown = await executor.submit(identity, "x");
  assert.equal(same, "x");
});
