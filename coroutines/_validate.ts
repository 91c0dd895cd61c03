// Private: argument checks shared by the coroutine helpers, with messages in the project's form
// ("Cannot <what>: '<name>' must be ..., received <value>").

/** The longest delay a timer supports (2^31 - 1 ms, about 24.8 days). */
export const MAX_DELAY = 2_147_483_647;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  return String(value);
}

/**
 * Throws unless `value` is a number of milliseconds in [0, MAX_DELAY], or `Infinity` when
 * `allowInfinity` (meaning "no deadline").
 */
export function checkDelay(
  what: string,
  name: string,
  value: unknown,
  allowInfinity: boolean,
): void {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `Cannot ${what}: '${name}' must be a number of milliseconds, received ${show(value)}`,
    );
  }
  if (value < 0 || (value > MAX_DELAY && !(allowInfinity && value === Infinity))) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be between 0 and ${MAX_DELAY} milliseconds${
        allowInfinity ? " (or Infinity for no limit)" : ""
      }, received ${show(value)}`,
    );
  }
}

/** Throws unless `value` is a positive, finite number. */
export function checkPositive(what: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a positive number of milliseconds, received ${
        show(value)
      }`,
    );
  }
}

/** Throws unless `value` is a function. */
export function checkFunction(what: string, name: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new TypeError(`Cannot ${what}: '${name}' must be a function, received ${typeof value}`);
  }
}

/** Throws unless `value` is undefined or an AbortSignal. */
export function checkSignal(what: string, value: unknown): void {
  if (value !== undefined && !(value instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot ${what}: 'signal' must be an AbortSignal, received ${show(value)}`,
    );
  }
}

/** Whether `value` has a callable `then` (a promise or any PromiseLike). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
