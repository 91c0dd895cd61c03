// Private: the messages between a TaskWorker and the worker host.
import type { ErrorRecord } from "./_codec.ts";
import type { TaskReference } from "./task.ts";

export type Settled =
  | { ok: true; value: unknown; shared: boolean }
  | { ok: false; error: ErrorRecord | { value: unknown } };

export type HostRequest =
  | { t: "init"; registry: SharedArrayBuffer; isolate: number }
  | { t: "run"; id: number; ref: TaskReference; args: unknown[]; shared: boolean }
  | { t: "batch"; id: number; ref: TaskReference; argsList: unknown[][]; shared: boolean };

export type HostReply =
  | { t: "done"; id: number; outcome: Settled }
  | { t: "batch"; id: number; outcomes: Settled[] }
  | { t: "err"; id: number; error: ErrorRecord | { value: unknown } }
  | { t: "closed" };
