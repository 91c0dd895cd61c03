/**
 * Structured coroutines (Effective Python items 56, 60–63): {@linkcode TaskGroup} for fan-out
 * and fan-in with cancellation, {@linkcode gather}, {@linkcode waitFor}, {@linkcode timeout}
 * scopes and {@linkcode sleep}, all honouring `AbortSignal`, plus an event-loop monitor that
 * reports every block longer than a threshold, like Python's `asyncio` debug mode. Python:
 * `asyncio`.
 *
 * Mixing threads and coroutines (item 62): {@linkcode MainThreadBridge} lets a worker (a
 * `Thread`, a pool task) call an async function of the main thread and block for its result,
 * like `asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)`.
 *
 * Synchronization between coroutines of one event loop (Python's `asyncio.Lock`, `Semaphore`,
 * `BoundedSemaphore`, `Event`, `Condition`): these are the same objects as in
 * `@tandem/tandem/threads`, re-exported here; on one loop use their async forms
 * (`acquireAsync`, `holdAsync`, `waitAsync`, `waitForAsync`), which never block the loop and
 * take a `timeout` and a `signal`. The same object also works across threads. What differs from
 * `asyncio`: ownership is per isolate, not per coroutine, so any coroutine of the loop may
 * release a `Lock` that another acquired, and `Condition.notify` only checks that this isolate
 * holds the lock; an `RLock` cannot tell two coroutines apart (use `Lock`); no FIFO order among
 * waiters (Python's asyncio primitives are FIFO); waiters wake through `Atomics.waitAsync`, so
 * a wake-up costs a little more than a resolved promise.
 *
 * Cancellation follows one rule throughout: tandem cancels work by aborting the `AbortSignal`
 * it gave that work, and when it cancels a function it called, it waits for that function's
 * promise to settle (so its cleanup has run) before settling itself. A promise passed in was
 * not started by tandem and cannot be aborted; tandem just stops waiting for it.
 *
 * @example Fan-out with a deadline
 * ```ts
 * import { sleep, TaskGroup, timeout } from "@tandem/tandem/coroutines";
 * import assert from "node:assert/strict";
 *
 * const pages = await timeout(1_000, (signal) =>
 *   TaskGroup.run(async (group) => {
 *     const fetches = [1, 2, 3].map((n) =>
 *       group.create(async (child) => {
 *         await sleep(n, { signal: child });
 *         return `page ${n}`;
 *       })
 *     );
 *     return await Promise.all(fetches);
 *   }, { signal }));
 * assert.deepEqual(pages, ["page 1", "page 2", "page 3"]);
 * ```
 *
 * @module
 */

export { type CreateTaskOptions, TaskGroup, type TaskGroupOptions } from "./task_group.ts";
export { ExceptionGroup } from "./exception_group.ts";
export {
  gather,
  type Gatherable,
  type GatherOptions,
  type GatherResult,
  type GatherResults,
  type GatherSettled,
} from "./gather.ts";
export { waitFor, type WaitForOptions } from "./wait_for.ts";
export { timeout, type TimeoutOptions, TimeoutScope } from "./timeout.ts";
export { sleep, type SleepOptions } from "./sleep.ts";
export {
  type AnyBridgeFunctions,
  type BlockingFunctions,
  type BridgeCallOptions,
  BridgeClosedError,
  type BridgeFunctions,
  MainThreadBridge,
  type MainThreadBridgeOptions,
} from "./main_thread_bridge.ts";
export { BoundedSemaphore, Condition, Event, Lock, Semaphore } from "@tandem/tandem/threads";
export {
  type BlockReport,
  EventLoopMonitor,
  type EventLoopMonitorOptions,
  monitorEventLoop,
  track,
} from "./event_loop_monitor.ts";
export { shutdownDefaultExecutor, toThread } from "./to_thread.ts";
