/**
 * {@linkcode unrefTimer}: a timer that does not keep the process alive, on every runtime.
 *
 * @module
 */

/**
 * Lets the process exit while `timer` is the only thing pending (Deno's `Deno.unrefTimer`,
 * Node's and Bun's `timer.unref()`). tandem's idle machinery (the timers that retire idle
 * workers, the start deadline of a worker) uses it, so that an idle pool never keeps a program
 * running.
 *
 * @param timer What `setTimeout` or `setInterval` returned.
 *
 * @example
 * ```ts
 * import { unrefTimer } from "@tandem/tandem/futures";
 *
 * const timer = setTimeout(() => {}, 60_000);
 * unrefTimer(timer); // the program may end before it fires
 * clearTimeout(timer);
 * ```
 */
export function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  const deno = (globalThis as { Deno?: { unrefTimer(id: number): void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer(timer);
  else (timer as { unref?: () => void }).unref?.();
}
