// The coroutine demos (items 56, 60, 61, 62, 63), checked through the functions they export.
import assert from "node:assert/strict";
import { runGenerations, simulate } from "../../demo/_life.ts";
import { simulateFanOut, simulateSerialIo } from "../../demo/item56_fan_out_in.ts";
import { simulateWithGather, simulateWithTaskGroup } from "../../demo/item60_coroutine_life.ts";
import { BOOK_SEED, playAsync, playThreadedStyle } from "../../demo/item61_port_to_async.ts";
import { runStyle } from "../../demo/item62_mixed_threads_coroutines.ts";
import { demonstrate } from "../../demo/item63_event_loop_monitor.ts";

const BOOK_TRANSCRIPT = [
  "Guess a number between 1 and 5! Shhhhh, it's 3.",
  "Server: 4 is Unsure",
  "Server: 1 is Colder",
  "Server: 5 is Unsure",
  "Server: 3 is Correct",
  "Guess a number between 10 and 15! Shhhhh, it's 12.",
  "Server: 11 is Unsure",
  "Server: 10 is Colder",
  "Server: 12 is Correct",
  "Client: 4 is Unsure",
  "Client: 1 is Colder",
  "Client: 5 is Unsure",
  "Client: 3 is Correct",
  "Client: 11 is Unsure",
  "Client: 10 is Colder",
  "Client: 12 is Correct",
];

Deno.test("demo 56: fanning out a generation gives the same generations as simulate", async () => {
  const serial = await runGenerations(simulate);
  assert.equal(await runGenerations(simulateFanOut), serial);
  assert.equal(await runGenerations(simulateSerialIo, 2), await runGenerations(simulate, 2));
});

Deno.test("demo 60: a coroutine per cell prints exactly what simulate prints", async () => {
  const serial = await runGenerations(simulate);
  assert.equal(await runGenerations(simulateWithGather), serial);
  assert.equal(await runGenerations(simulateWithTaskGroup), serial);
});

Deno.test("demo 61: the threaded-style game over TCP prints the book's transcript", async () => {
  assert.deepEqual(await playThreadedStyle(BOOK_SEED), BOOK_TRANSCRIPT);
});

Deno.test("demo 61: the async port prints the book's transcript", async () => {
  assert.deepEqual(await playAsync(BOOK_SEED), BOOK_TRANSCRIPT);
});

Deno.test("demo 61: both versions print the same transcript for another seed", async () => {
  const threaded = await playThreadedStyle(1);
  assert.deepEqual(await playAsync(1), threaded);
  // What the client decided is what the server heard, guess by guess.
  const client = threaded.filter((line) => line.startsWith("Client: ")).map((l) => l.slice(8));
  const server = threaded.filter((line) => line.startsWith("Server: ")).map((l) => l.slice(8));
  assert.deepEqual(server, client);
  assert.ok(client.includes("3 is Correct")); // five distinct guesses in 1..5 always find it
});

Deno.test("demo 62: threads, coroutines and the mixed style merge exactly the written lines", async () => {
  for (const style of ["threads", "async", "mixed"] as const) {
    assert.deepEqual(await runStyle(style, 3, 40), { style, lines: 120, same: true });
  }
});

Deno.test("demo 62: main prints the line count and 'Same lines: true' for each style", async () => {
  const { main } = await import("../../demo/item62_mixed_threads_coroutines.ts");
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => printed.push(args.join(" "));
  try {
    await main();
  } finally {
    console.log = log;
  }
  assert.equal(printed.length, 6);
  assert.match(printed[0], /^Threads only .*: 200 lines$/);
  assert.match(printed[2], /^Coroutines only .*: 200 lines$/);
  assert.match(printed[4], /^Mixed .*MainThreadBridge\): 200 lines$/);
  assert.deepEqual([printed[1], printed[3], printed[5]], Array(3).fill("Same lines: true"));
});

Deno.test("demo 63: the monitor names the blocking coroutine, and is quiet after the fix", async () => {
  const lines: string[] = [];
  const { blocking, fixed, ticks } = await demonstrate((line) => lines.push(line));
  const report = blocking.find((r) => r.label === "slow_coroutine");
  assert.ok(report, `no report names slow_coroutine: ${JSON.stringify(blocking)}`);
  assert.ok(report.duration >= 500 && report.duration < 700, `duration ${report.duration}`);
  assert.ok(lines.includes(report.message));
  assert.match(report.message, /^Executing <Task name='slow_coroutine'> took 0\.\d{3} seconds$/);
  assert.deepEqual(fixed, []);
  assert.ok(ticks > 0);
  assert.equal(lines.at(-1), "No warning.");
});
