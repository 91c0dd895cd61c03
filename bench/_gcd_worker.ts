// The raw platform's worker for gcd_bench.ts: the task's own function, called directly, one pair
// per message, the answer posted back.
import { gcd } from "../examples/tasks.ts";

const scope = self as unknown as {
  onmessage: (event: MessageEvent<[number, number]>) => void;
  postMessage(value: number): void;
};
scope.onmessage = (event) => scope.postMessage(gcd(event.data) as number);
