/**
 * The bootstrapping guard: Python's "An attempt has been made to start a new process before the
 * current process has finished its bootstrapping phase", for tandem's workers and child
 * processes.
 *
 * A worker finds a task by importing the task's module. If that module starts a pool or a
 * thread at its top level (instead of under `if (import.meta.main)`), every worker would start
 * more workers, each importing the module again: a fork bomb. While a tandem host imports a task
 * module, {@linkcode checkNotBootstrapping} (called by every pool, `Thread` and `toThread`)
 * throws an error naming the module instead, and that error fails the task's future in the
 * parent.
 *
 * @module
 */

/** The import in progress in this isolate, kept on `globalThis` so every copy of tandem sees it. */
const IMPORTING: unique symbol = Symbol.for("tandem.importingTaskModule");

interface Importing {
  module: string;
  name: string;
}

function current(): Importing | undefined {
  return (globalThis as { [IMPORTING]?: Importing })[IMPORTING];
}

/**
 * Throws if this isolate is a tandem worker or child process that is importing a task's module
 * right now: code that starts workers must not run at the top level of a task module. Every
 * pool, `Thread` and `toThread` calls it before starting anything.
 *
 * @param what What could not be done, for the message: `"create WorkerPoolExecutor"`.
 * @throws {Error} Naming the module being imported and the task looked for, and saying to move
 * the code under `if (import.meta.main)`.
 *
 * @example
 * ```ts
 * import { checkNotBootstrapping } from "@tandem/tandem/futures";
 *
 * checkNotBootstrapping("create MyPool"); // on the main thread: never throws
 * ```
 */
export function checkNotBootstrapping(what: string): void {
  const importing = current();
  if (importing === undefined) return;
  throw new Error(
    `Cannot ${what} while a tandem worker imports ${importing.module} to find task ` +
      `'${importing.name}': that module starts workers at its top level, and each worker would ` +
      "import it again and start more. Move the code that starts pools or threads under " +
      "`if (import.meta.main) { ... }` (Python: `if __name__ == '__main__':`)",
  );
}

/**
 * Marks this isolate as importing `module` to find task `name` until the returned promise
 * settles; used by the task hosts only.
 *
 * @param module The task's module URL.
 * @param name The task's export name.
 * @param load The import itself.
 * @returns What `load` returns.
 */
export async function importingTaskModule<T>(
  module: string,
  name: string,
  load: () => Promise<T>,
): Promise<T> {
  const holder = globalThis as { [IMPORTING]?: Importing };
  const outer = holder[IMPORTING];
  holder[IMPORTING] = { module, name };
  try {
    return await load();
  } finally {
    holder[IMPORTING] = outer;
  }
}
