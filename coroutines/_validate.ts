// Private: the one check the coroutine helpers add to the hub's vocabulary (timer delays), and
// the hub's checks they use, under one import.
import { describeValue, rangeError, typeError } from "@tandem/tandem/futures";

export { checkFunction, checkSignal, isThenable } from "@tandem/tandem/futures";

/** The longest delay a timer supports (2^31 - 1 ms, about 24.8 days). */
export const MAX_DELAY = 2_147_483_647;

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
  if (typeof value !== "number") typeError(what, name, "a number of milliseconds", value);
  if (
    Number.isNaN(value) || value < 0 ||
    (value > MAX_DELAY && !(allowInfinity && value === Infinity))
  ) {
    rangeError(
      what,
      name,
      `between 0 and ${MAX_DELAY} milliseconds${
        allowInfinity ? " (or Infinity for no limit)" : ""
      }`,
      value,
    );
  }
}

/** Throws unless `value` is a positive, finite number. */
export function checkPositive(what: string, name: string, value: unknown): asserts value is number {
  const expected = "a positive number of milliseconds";
  if (typeof value !== "number") typeError(what, name, expected, value);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be ${expected}, received ${describeValue(value)}`,
    );
  }
}
