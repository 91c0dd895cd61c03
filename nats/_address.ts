/**
 * Task addresses that work on any machine: a module under the declared root travels as
 * `./relative/path.ts` (plus the SHA-256 of its content), a `jsr:`/`https:`/`http:`/`npm:`
 * specifier travels as it is. Private to the package.
 *
 * @module
 */

import { pathToFileURL } from "node:url";

const PORTABLE = /^(jsr|npm|https?):/;

/** The root as a `file:` URL ending with `/`. */
export function rootUrl(root: string | URL | undefined): URL {
  let url: URL;
  if (root === undefined) url = pathToFileURL(Deno.cwd()) as URL;
  else if (root instanceof URL) url = root;
  else if (/^file:/.test(root)) url = new URL(root);
  else url = pathToFileURL(root.startsWith("/") ? root : `${Deno.cwd()}/${root}`) as URL;
  if (url.protocol !== "file:") {
    throw new TypeError(`'root' must be a folder path or a file: URL, received ${String(root)}`);
  }
  return new URL(url.href.endsWith("/") ? url.href : `${url.href}/`);
}

/**
 * The portable form of a task's module URL.
 *
 * @throws {TypeError} If it is a local module outside the root.
 */
export function toAddress(module: string, root: URL): string {
  if (PORTABLE.test(module)) return module;
  if (module.startsWith(root.href)) return `./${module.slice(root.href.length)}`;
  throw new TypeError(
    `the module ${module} is not under the executor's root ${root.href}: workers find tasks ` +
      "by their path relative to the root (the code folder on each machine), so set 'root' to " +
      "the folder that holds your task modules, or use a jsr: or https: module",
  );
}

/**
 * The module URL of an address on this machine.
 *
 * @throws {TypeError} If the address leaves the root or is not a known form.
 */
export function fromAddress(address: string, root: URL): string {
  if (PORTABLE.test(address)) return address;
  if (!address.startsWith("./")) {
    throw new TypeError(`'${address}' is not a root-relative path or a jsr:/https: specifier`);
  }
  const url = new URL(address, root);
  if (!url.href.startsWith(root.href)) {
    throw new TypeError(`'${address}' leaves this worker's root ${root.href}`);
  }
  return url.href;
}

/** Whether an address names a module under the root (so it has a content hash). */
export function isLocal(address: string): boolean {
  return address.startsWith("./");
}

const hashes = new Map<string, Promise<string>>();

/** The SHA-256 (hex) of a `file:` module's content; cached per URL for the process's life. */
export function contentHash(fileUrl: string): Promise<string> {
  let found = hashes.get(fileUrl);
  if (found === undefined) {
    found = (async () => {
      const bytes = await Deno.readFile(new URL(fileUrl));
      const digest = await crypto.subtle.digest("SHA-256", bytes);
      return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
    })();
    hashes.set(fileUrl, found);
    found.catch(() => hashes.delete(fileUrl));
  }
  return found;
}
