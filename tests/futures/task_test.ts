import assert from "node:assert/strict";
import { checkTask, isTask, resolveTask, type Task, task } from "@tandem/tandem/futures";
import { identity, misnamed, notATask } from "./_tasks.ts";

const here = new URL("./_tasks.ts", import.meta.url).href;

Deno.test("task() keeps the function callable and records its module and name", () => {
  assert.equal(identity(4), 4);
  assert.equal(identity.module, here);
  assert.equal(identity.name, "identity");
  assert.equal(isTask(identity), true);
  assert.equal(isTask(notATask), false);
  assert.equal(isTask(null), false);
});

Deno.test("task() takes an explicit export name for anonymous functions", () => {
  const t = task(import.meta.url, (n: number) => n + 1, { name: "plusOne" });
  assert.equal(t.name, "plusOne");
  assert.equal(t(1), 2);
});

Deno.test("task() rejects bad input with a TypeError naming the parameter", () => {
  assert.throws(() => task("not a url", function f() {}), /'module' must be a module URL/);
  assert.throws(
    // @ts-expect-error: not a function
    () => task(import.meta.url, 42),
    /'fn' must be a function, received 42/,
  );
  assert.throws(() => task(import.meta.url, () => 1), /'fn' has no name/);
  assert.throws(() => checkTask("run", notATask), /'task' must be a task.*function notATask/);
});

Deno.test("resolveTask() finds an exported task by module and name", async () => {
  assert.equal(await resolveTask({ module: here, name: "identity" }), identity);
});

Deno.test("resolveTask() names the module and export when it cannot resolve", async () => {
  await assert.rejects(
    resolveTask({ module: here, name: "missing" }),
    (e) => e instanceof TypeError && e.message.includes("'missing'") && e.message.includes(here),
  );
  await assert.rejects(
    resolveTask({ module: here, name: "notATask" }),
    /the export 'notATask' is not that task/,
  );
  // Exported as "misnamed" but named "realName": the reference by name finds no such export.
  await assert.rejects(
    resolveTask({ module: misnamed.module, name: misnamed.name }),
    /no export named 'realName'/,
  );
  const nowhere = new URL("./does_not_exist.ts", import.meta.url).href;
  await assert.rejects(resolveTask({ module: nowhere, name: "x" }), /the module failed to load/);
});

type Equals<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true
  : false;

Deno.test("task() keeps the function's own call type: a sync function's call stays sync", async () => {
  const sync = task(import.meta.url, function syncDouble(n: number): number {
    return n * 2;
  });
  const async = task(import.meta.url, async function asyncDouble(n: number): Promise<number> {
    return await Promise.resolve(n * 2);
  });
  const direct = sync(21);
  const awaited = async(21);
  // Compile-time checks: `deno check` (and so this test) fails if the types widen again.
  const syncIsNumber: Equals<typeof direct, number> = true;
  const asyncIsPromise: Equals<typeof awaited, Promise<number>> = true;
  assert.ok(syncIsNumber && asyncIsPromise);
  assert.equal(direct, 42);
  assert.equal(await awaited, 42);
  const asTask: Task<[number], number> = sync; // still a Task for every executor
  assert.equal(asTask.name, "syncDouble");
});
