/**
 * {@linkcode killpg}: send a signal to every process in a process group.
 *
 * @module
 */

import { HAS_PROCESS_GROUPS, signalGroup } from "./_process_group.ts";
import { checkSignalNumber, describe } from "./_validate.ts";

const WHAT = "signal process group";

/**
 * Sends a signal to every process in process group `pgid`. Python: `os.killpg(pgid, signal)`.
 *
 * This is how to stop a whole process tree that tandem did not start itself: start the child
 * with `Deno.Command`'s `detached: true` (which calls `setsid()` in the child, so it leads a new
 * session and a new process group whose id is its pid), then `killpg(child.pid, "SIGKILL")`.
 * `run` and {@linkcode Popen} do this for you with `processGroup: 0`.
 *
 * Unlike Python, a group with no process left is not an error: `killpg` returns `false`, so
 * cleanup code can call it whatever state the group is in. A group lives while any of its
 * processes does (even one that has exited but is not yet reaped); once it is empty, its number
 * may in time be reused by an unrelated group, so stop signalling a group once this returned
 * `false`.
 *
 * @param pgid The process group id: the pid of the process that leads the group, 2 or more
 * (0 and 1 would mean the caller's own group and every process, so they are refused).
 * @param signal A signal name such as `"SIGTERM"`, or a signal number (0 only checks that the
 * group exists).
 * @returns `true` when the group existed and was signalled, `false` when it has no process left.
 *
 * @throws {TypeError} When `pgid` is not a number, or `signal` is not a signal this platform
 * supports.
 * @throws {RangeError} When `pgid` is not an integer from 2 to 2147483647.
 * @throws {Deno.errors.NotCapable} Without run permission for every program (`--allow-run`
 * without a list), which Deno requires to signal a group.
 * @throws {Deno.errors.NotSupported} On Windows, which has no process groups.
 *
 * @example A Deno.Command child and its children, killed as one
 * ```ts
 * import { killpg } from "@tandem/tandem/subprocess";
 * import assert from "node:assert/strict";
 *
 * const child = new Deno.Command("sh", {
 *   args: ["-c", "sleep 10 & sleep 10 & wait"],
 *   detached: true, // setsid(): the child leads a new process group, its id the child's pid
 * }).spawn();
 * assert.equal(killpg(child.pid, "SIGKILL"), true);
 * assert.equal((await child.status).signal, "SIGKILL");
 * ```
 */
export function killpg(pgid: number, signal: Deno.Signal | number): boolean {
  if (typeof pgid !== "number") {
    throw new TypeError(
      `Cannot ${WHAT}: 'pgid' must be a process group id (an integer of 2 or more), received ${
        describe(pgid)
      }`,
    );
  }
  if (!Number.isInteger(pgid) || pgid < 2 || pgid > 2 ** 31 - 1) {
    throw new RangeError(
      `Cannot ${WHAT}: 'pgid' must be an integer from 2 to 2147483647 (0 is the caller's own ` +
        `group, 1 every process), received ${describe(pgid)}`,
    );
  }
  const checked = checkSignalNumber(WHAT, signal);
  if (!HAS_PROCESS_GROUPS) {
    throw new Deno.errors.NotSupported(
      `Cannot ${WHAT}: ${Deno.build.os} has no process groups`,
    );
  }
  return signalGroup(WHAT, pgid, checked);
}
