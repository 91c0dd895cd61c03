// Test helper: runs a demo's main() in-process and returns what it printed with console.log.

/** Runs `fn` with `console.log` captured; returns the printed lines joined by newlines. */
export async function capture(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map((arg) => typeof arg === "string" ? arg : Deno.inspect(arg)).join(" "));
  };
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}
