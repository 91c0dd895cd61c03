import assert from "node:assert/strict";
import { fromAddress, rootUrl, toAddress } from "../_address.ts";

const root = rootUrl("/srv/code");

Deno.test("A task module under the root travels as its path relative to the root", () => {
  assert.equal(root.href, "file:///srv/code/");
  assert.equal(toAddress("file:///srv/code/lib/gcd.ts", root), "./lib/gcd.ts");
  assert.equal(
    fromAddress("./lib/gcd.ts", rootUrl("/home/w/app")),
    "file:///home/w/app/lib/gcd.ts",
  );
});

Deno.test("jsr:, https: and npm: task modules travel as their specifiers", () => {
  for (const specifier of ["jsr:@scope/tasks@1.2.3/gcd", "https://example.com/t.ts", "npm:x@1"]) {
    assert.equal(toAddress(specifier, root), specifier);
    assert.equal(fromAddress(specifier, root), specifier);
  }
});

Deno.test("A module outside the root, or an address that leaves it, is refused", () => {
  assert.throws(() => toAddress("file:///etc/tasks.ts", root), /not under the executor's root/);
  assert.throws(() => fromAddress("./../../etc/passwd.ts", root), /leaves this worker's root/);
  assert.throws(() => fromAddress("/etc/passwd.ts", root), /not a root-relative path/);
});
