// The process host: the script every ProcessPoolExecutor child runs (`deno run ... this file`).
// It starts the worker that will run the tasks first, so that the worker's start (the larger part
// of the child's) overlaps the loading of the relay (_process_relay.ts), which then carries frames
// between stdin/stdout and that worker. This module's own graph is one small file.
import { prestartWebHost } from "../futures/_web_host.ts";

prestartWebHost("tandem-process-worker");
await import("./_process_relay.ts");
