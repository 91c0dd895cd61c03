// Private: checks at the boundary, with messages of the form
// "Cannot create WorkerPoolExecutor: 'maxWorkers' must be a positive integer, received 0".

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  if (typeof value === "object" && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/** A positive integer. */
export function positiveInteger(what: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a positive integer, received ${show(value)}`,
    );
  }
  return value;
}

/** A positive integer or Infinity. */
export function positiveIntegerOrInfinity(what: string, name: string, value: unknown): number {
  if (value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a positive integer or Infinity, received ${show(value)}`,
    );
  }
  return value;
}

/** A non-negative integer or Infinity. */
export function countOrInfinity(what: string, name: string, value: unknown): number {
  if (value === Infinity) return value;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a non-negative integer or Infinity, received ${
        show(value)
      }`,
    );
  }
  return value;
}

/** A non-negative number of milliseconds, or Infinity. */
export function milliseconds(what: string, name: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value) || value < 0) {
    throw new RangeError(
      `Cannot ${what}: '${name}' must be a non-negative number of milliseconds, received ${
        show(value)
      }`,
    );
  }
  return value;
}

/** An AbortSignal or undefined. */
export function optionalSignal(what: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) {
    throw new TypeError(`Cannot ${what}: 'signal' must be an AbortSignal, received ${show(value)}`);
  }
  return value;
}

/** An options bag: undefined or a plain object. */
export function optionsObject<T extends object>(what: string, value: unknown): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Cannot ${what}: 'options' must be an object, received ${show(value)}`);
  }
  return value as T;
}

/** An array of strings. */
export function stringArray(what: string, name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new TypeError(
      `Cannot ${what}: '${name}' must be an array of strings, received ${show(value)}`,
    );
  }
  return [...value];
}

/** Refuses option keys other than `known`, listing them. */
export function knownKeys(what: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `Cannot ${what}: unknown option ${JSON.stringify(key)}; the options are ${
          known.map((name) => `'${name}'`).join(", ")
        }`,
      );
    }
  }
}
