// Tasks for the bridge tests and examples: each runs in a worker and calls the main thread
// through a MainThreadBridge it received as an argument.
import { task } from "@tandem/tandem/futures";
import type { BridgeCallOptions, MainThreadBridge } from "@tandem/tandem/coroutines";

/** The functions the tests' bridges serve. */
export interface TestFunctions {
  double(n: number): Promise<number>;
  fail(message: string): Promise<never>;
  slow(ms: number): Promise<string>;
  record(who: number, i: number): Promise<string>;
}

/** Calls `name(...args)` through the bridge and returns the result. */
export const callBridge = task(
  import.meta.url,
  function callBridge(
    bridge: MainThreadBridge,
    name: string,
    args: unknown[],
    options?: BridgeCallOptions,
  ): unknown {
    return bridge.call(name, args, options);
  },
);

/** Doubles `n` through the bridge's `double` function. */
export const callDouble = task(
  import.meta.url,
  function callDouble(bridge: MainThreadBridge<Pick<TestFunctions, "double">>, n: number): number {
    return bridge.call("double", [n]);
  },
);

/** Calls the bridge and reports how the call ended: its value, or its error's name and message. */
export const callAndDescribe = task(
  import.meta.url,
  function callAndDescribe(
    bridge: MainThreadBridge,
    name: string,
    args: unknown[],
    options?: BridgeCallOptions,
  ): { value?: unknown; name?: string; message?: string; stack?: string; elapsed: number } {
    const start = performance.now();
    try {
      const value = bridge.call(name, args, options);
      return { value, elapsed: performance.now() - start };
    } catch (error) {
      const e = error as Error;
      return {
        name: e.name,
        message: e.message,
        stack: e.stack,
        elapsed: performance.now() - start,
      };
    }
  },
);

/** Calls `record(who, i)` `n` times and returns the answers, in order. */
export const recordMany = task(
  import.meta.url,
  function recordMany(
    bridge: MainThreadBridge<Pick<TestFunctions, "record">>,
    who: number,
    n: number,
  ): string[] {
    const { record } = bridge.blocking({ timeout: 10_000 });
    const answers: string[] = [];
    for (let i = 0; i < n; i++) answers.push(record(who, i));
    return answers;
  },
);
