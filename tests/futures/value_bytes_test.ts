import assert from "node:assert/strict";
import { decodeValue, encodeValue } from "@tandem/tandem/futures";

const roundTrip = (value: unknown) => decodeValue(encodeValue(value));

Deno.test("encodeValue: simple values take the compact format and come back equal", () => {
  const values: unknown[] = [
    undefined,
    null,
    true,
    false,
    0,
    -1,
    2 ** 31,
    1.5,
    NaN,
    -Infinity,
    "",
    "héllo ✓ 😀",
    [1, [2, [3]], "x"],
    { a: 1, b: { c: [null, undefined] } },
  ];
  for (const value of values) {
    const bytes = encodeValue(value);
    assert.equal(bytes[0], 0x53, `${String(value)} is simple`);
    assert.deepEqual(roundTrip(value), value);
  }
  assert.ok(Object.is(roundTrip(-0), -0), "-0 keeps its sign");
  const proto = roundTrip(JSON.parse('{"__proto__": 1}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(proto, "__proto__")?.value, 1);
});

Deno.test("encodeValue: other values take node:v8 and keep their structured-clone types", () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const values: unknown[] = [
    new Map([[1, "a"]]),
    new Set([1]),
    new Date(5),
    /x+/g,
    new Uint8Array([1, 2, 3]),
    10n,
    [1, , 3],
    { when: new Date(0) },
  ];
  for (const value of values) {
    const bytes = encodeValue(value);
    assert.equal(bytes[0], 0x56, `${String(value)} goes through node:v8`);
    assert.deepEqual(roundTrip(value), value);
  }
  const back = roundTrip(cyclic) as Record<string, unknown>;
  assert.equal(back.self, back, "a cycle survives");
});

Deno.test("encodeValue: a large simple value grows the scratch space; a huge one takes node:v8", () => {
  const large = Array.from({ length: 100_000 }, (_, i) => [i, `item ${i}`]);
  const bytes = encodeValue(large);
  assert.equal(bytes[0], 0x53);
  assert.deepEqual(decodeValue(bytes), large);
  const huge = "x".repeat(9 * 1024 * 1024); // 18 MiB as UTF-16: past the scratch space's limit
  const hugeBytes = encodeValue(huge);
  assert.equal(hugeBytes[0], 0x56);
  assert.equal(decodeValue(hugeBytes), huge);
  assert.deepEqual(roundTrip([1, 2]), [1, 2], "the codec still works after a huge value");
});

Deno.test("encodeValue refuses what cannot be serialized; decodeValue refuses foreign bytes", () => {
  assert.throws(() => encodeValue(() => 1));
  assert.throws(() => encodeValue({ f: Symbol("s") }));
  assert.throws(
    () => decodeValue(new Uint8Array([7, 1, 2])),
    (e) => e instanceof TypeError && /first byte 7/.test(e.message),
  );
});

Deno.test("encodeValue returns bytes of its own: a later call does not change them", () => {
  const first = encodeValue([1, 2, 3]);
  const copy = first.slice();
  encodeValue(["something", "else", "entirely"]);
  assert.deepEqual(first, copy);
});
