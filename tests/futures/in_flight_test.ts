// InFlight, the runners' calls-in-flight list, against a simple model (a Map from id to call),
// over random sequences of operations.
import assert from "node:assert/strict";
import { InFlight } from "../../futures/_in_flight.ts";

// A small deterministic generator, so that a failure can be replayed from its seed.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

Deno.test("InFlight agrees with a Map model over random add, take, takeRun and clear", () => {
  for (let seed = 1; seed <= 200; seed++) {
    const next = random(seed);
    const list = new InFlight<string>(1);
    const model = new Map<number, string>();
    let nextId = 1;
    let calls = 0;
    for (let step = 0; step < 300; step++) {
      const op = next();
      const where = `seed ${seed}, step ${step}`;
      if (op < 0.4) {
        const call = `call${++calls}`;
        const count = 1 + Math.floor(next() * (next() < 0.2 ? 3000 : 5));
        list.add(call, count);
        for (let i = 0; i < count; i++) model.set(nextId++, call);
      } else if (op < 0.75) {
        const id = Math.floor(next() * (nextId + 2)) - 1;
        assert.equal(list.take(id), model.get(id), where);
        model.delete(id);
      } else if (op < 0.97) {
        const id = Math.floor(next() * (nextId + 2)) - 1;
        const call = model.get(id) ?? "nobody";
        const max = Math.floor(next() * 4000);
        let expected = 0;
        while (expected < max && model.get(id + expected) === call) model.delete(id + expected++);
        assert.equal(list.takeRun(id, call, max), expected, where);
      } else {
        const taken = list.clear();
        assert.deepEqual(taken, [...model].sort((a, b) => a[0] - b[0]), where);
        model.clear();
      }
      assert.equal(list.size, model.size, where);
      const ids = [...model.keys()];
      assert.equal(list.oldest, ids.length === 0 ? nextId : Math.min(...ids), where);
      for (let probe = 0; probe < 5; probe++) {
        const id = Math.floor(next() * (nextId + 2)) - 1;
        assert.equal(list.get(id), model.get(id), `${where}, get(${id})`);
      }
    }
  }
});
