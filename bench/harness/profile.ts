// Optional CPU profiles of the API process per benchmark phase (BENCH_PROFILE_DIR=<dir>): the API
// starts with --inspect on a loopback port and the benchmark starts/stops the V8 profiler over the
// DevTools protocol around each measured phase, writing <dir>/<phase>.cpuprofile (open in Chrome
// DevTools or speedscope).
import fs from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { benchEnv } from "./env.ts";

export const profileDir = benchEnv("BENCH_PROFILE_DIR");

export interface Profiler {
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  close(): void;
}

const none: Profiler = { phase: (_n, work) => work(), close() {} };

export async function attachProfiler(inspectPort: number | null): Promise<Profiler> {
  if (!profileDir || inspectPort === null) return none;
  fs.mkdirSync(profileDir, { recursive: true });
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 500 });
  return {
    async phase(name, work) {
      await send("Profiler.start");
      try {
        return await work();
      } finally {
        const { profile } = (await send("Profiler.stop")) as { profile: unknown };
        const file = path.join(profileDir, `${name}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        console.log(`  [profile] ${file}`);
      }
    },
    close: () => ws.close(),
  };
}
