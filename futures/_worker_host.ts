// The worker host: the module every tandem Worker starts from (threads, pools and bridges).
// It resolves task references, rebuilds shared objects, runs tasks and reports their outcome.
// Messages: parent -> host {t: "init" | "run" | "batch"}; host -> parent {t: "ok" | "err" |
// "batch" | "closed"}. See task_worker.ts for the parent's side.
/// <reference lib="deno.worker" />
import { decode, encode, errorToRecord } from "./_codec.ts";
import { adoptIsolateRegistry } from "./isolates.ts";
import { describeTask, resolveTask, type TaskReference } from "./task.ts";
import type { HostReply, HostRequest, Settled } from "./_protocol.ts";

const closeWorker = self.close.bind(self);
self.close = () => {
  // A task that closes its own worker must not leave its future hanging: tell the parent first.
  self.postMessage({ t: "closed" } satisfies HostReply);
  closeWorker();
};

async function call(ref: TaskReference, args: unknown[], shared: boolean): Promise<unknown> {
  const fn = await resolveTask(ref);
  const input = shared ? (await decode(args)) as unknown[] : args;
  return await fn(...input);
}

function reply(message: HostReply, ref: TaskReference, id: number): void {
  try {
    self.postMessage(message);
  } catch (cause) {
    self.postMessage(
      {
        t: "err",
        id,
        error: errorToRecord(
          new TypeError(
            `Task ${describeTask(ref)} returned a value that cannot be structured-cloned`,
            { cause },
          ),
        ),
      } satisfies HostReply,
    );
  }
}

async function settle(ref: TaskReference, args: unknown[], shared: boolean): Promise<Settled> {
  try {
    const out = encode(await call(ref, args, shared));
    return { ok: true, value: out.value, shared: out.shared };
  } catch (error) {
    return { ok: false, error: errorToRecord(error) };
  }
}

self.onmessage = async (event: MessageEvent<HostRequest>) => {
  const message = event.data;
  switch (message.t) {
    case "init":
      adoptIsolateRegistry(message.registry, message.isolate);
      return;
    case "run": {
      const outcome = await settle(message.ref, message.args, message.shared);
      reply({ t: "done", id: message.id, outcome }, message.ref, message.id);
      return;
    }
    case "batch": {
      const outcomes: Settled[] = [];
      for (const args of message.argsList) {
        outcomes.push(await settle(message.ref, args, message.shared));
      }
      reply({ t: "batch", id: message.id, outcomes }, message.ref, message.id);
      return;
    }
  }
};
