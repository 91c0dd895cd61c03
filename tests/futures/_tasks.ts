// Tasks for the hub's tests.
import { task, transfer } from "@tandem/tandem/futures";

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

/** Sums the bytes it is given (a Uint8Array or an ArrayBuffer). */
export const byteSum = task(
  import.meta.url,
  function byteSum(bytes: Uint8Array | ArrayBuffer): number {
    let sum = 0;
    for (const byte of bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes) sum += byte;
    return sum;
  },
);

let kept: ArrayBuffer | undefined;

/** Keeps `buffer` in the worker and returns it moved (see `keptLength`). */
export const keepAndMove = task(
  import.meta.url,
  function keepAndMove(buffer: ArrayBuffer): ArrayBuffer {
    kept = buffer;
    return transfer(buffer);
  },
);

/** The length of the buffer `keepAndMove` kept: 0 once it has moved out. */
export const keptLength = task(import.meta.url, function keptLength(): number {
  return kept?.byteLength ?? -1;
});

/** Says hello on `port`, then closes it. */
export const helloOn = task(import.meta.url, function helloOn(port: MessagePort): void {
  port.postMessage("hello");
  port.close();
});

/** The byte lengths of what it gets: `[a.byteLength, b.byteLength]`. */
export const byteLengths = task(
  import.meta.url,
  function byteLengths(value: { a: ArrayBuffer; b: Uint16Array }): number[] {
    return [value.a.byteLength, value.b.byteLength];
  },
);
