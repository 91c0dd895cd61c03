// Tasks for the hub's tests.
import { task } from "@tandem/tandem/futures";

export const identity = task(import.meta.url, function identity<T>(value: T): T {
  return value;
});

export const failOn = task(
  import.meta.url,
  function failOn(value: number, bad = 3): number {
    if (value === bad) throw new RangeError(`bad item ${value}`);
    return value * 10;
  },
);

export const wait = task(
  import.meta.url,
  function wait(ms: number): Promise<number> {
    return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
  },
);

export const misnamed = task(import.meta.url, function realName(): number {
  return 1;
});

export const notATask = function notATask(): number {
  return 1;
};

/** Returns `value`; with `crash`, its isolate then crashes (a timer throws) right after. */
export const valueThenCrash = task(
  import.meta.url,
  function valueThenCrash(value: number, crash: boolean): number {
    if (crash) {
      setTimeout(() => {
        throw new Error("crash after the answer");
      }, 0);
    }
    return value;
  },
);
