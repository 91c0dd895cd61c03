/**
 * {@linkcode runtimeName}: which JavaScript runtime this is, for error messages.
 *
 * @module
 */

/**
 * Names the runtime this code runs on, with its version: `"Deno 2.9.6"`, `"Bun 1.4.5"`,
 * `"Node 24.1.0"`. tandem's errors say it when something needs Deno (child processes) or what a
 * runtime lacks.
 *
 * @returns The runtime's name and version, or `"an unknown runtime"`.
 *
 * @example
 * ```ts
 * import { runtimeName } from "@tandem/tandem/futures";
 * import assert from "node:assert/strict";
 *
 * assert.match(runtimeName(), /^Deno \d/);
 * ```
 */
export function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version?: { deno?: string } } }).Deno;
  if (deno?.version?.deno) return `Deno ${deno.version.deno}`;
  const versions = (globalThis as { process?: { versions?: Record<string, string> } }).process
    ?.versions;
  if (versions?.bun) return `Bun ${versions.bun}`;
  if (versions?.node) return `Node ${versions.node}`;
  return "an unknown runtime";
}
