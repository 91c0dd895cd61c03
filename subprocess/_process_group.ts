// Private helpers: start a child in its own process group, and signal a whole group.
//
// Deno.Command has one way to give a child a group of its own: `detached: true`, which calls
// setsid() in the child before exec (on Unix), so the child leads a new session and a new process
// group whose id is its pid. A group is signalled with Deno.kill(-pgid), which Deno allows only
// with run permission for every program (--allow-run without a list).

import { checkBoolean, checkProcessGroup, describe } from "./_validate.ts";

/** Whether this platform has process groups (every Unix; not Windows). */
export const HAS_PROCESS_GROUPS: boolean = typeof Deno !== "undefined" &&
  Deno.build.os !== "windows";

/**
 * Checks that a child can be started in a group of its own and its group signalled, before
 * anything is started. `option` names the option that asked for the group.
 */
export function checkGroupSupport(what: string, option: string): void {
  if (!HAS_PROCESS_GROUPS) {
    throw new Deno.errors.NotSupported(
      `Cannot ${what}: '${option}' needs process groups, which ${Deno.build.os} does not have`,
    );
  }
  if (Deno.permissions.querySync({ name: "run" }).state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot ${what}: '${option}' needs run permission for every program (--allow-run ` +
        `without a list), which Deno requires to signal a process group`,
    );
  }
}

/**
 * Checks the `startNewSession` and `processGroup` options of `run` and `Popen`, and, when either
 * asks for a group of the child's own, that one can be made and signalled here. Returns whether
 * the child gets its own group.
 */
export function checkGroupOptions(
  what: string,
  options: { readonly startNewSession?: unknown; readonly processGroup?: unknown },
): boolean {
  const session = checkBoolean(what, "startNewSession", options.startNewSession);
  const group = checkProcessGroup(what, options.processGroup);
  if (!session && !group) return false;
  checkGroupSupport(what, group ? "processGroup" : "startNewSession");
  return true;
}

/**
 * Sends `signal` to every process in group `pgid`. Returns false when the group has no process
 * left (ESRCH), so signalling a group that has already exited is not an error. Throws a
 * TypeError in the project's form for a signal this platform does not support, and
 * `Deno.errors.NotCapable` without run permission for every program.
 */
export function signalGroup(what: string, pgid: number, signal: Deno.Signal | number): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof TypeError) {
      throw new TypeError(
        `Cannot ${what}: 'signal' must be a signal this platform supports, received ${
          describe(signal)
        }`,
        { cause: error },
      );
    }
    throw error;
  }
}
