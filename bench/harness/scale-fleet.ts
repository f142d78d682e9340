// The scale benchmark's agent processes (parent side): the simulated fleet split over several Node
// processes (bench/harness/scale-agent-proc.ts), each running its slice of lightweight agents
// (agents.ts, the simulated backend, no PowerShell) and talking to the benchmark over IPC. A child
// that dies, or an error in one, fails the benchmark; every child is killed when the benchmark ends,
// however it ends (the children also exit when their IPC channel closes).
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { Credential } from "./agents.ts";
import { ROOT } from "./api.ts";

/** An agent of a slice: its credential and the replica it connects to (index into urls). */
export type SliceAgent = Credential & { replica: number };

export type ToChild =
  | { type: "init"; fleetHosts: number; vmsPerHost: number; seed: number; from: number; to: number }
  | { type: "connect"; urls: string[]; agents: SliceAgent[] }
  | { type: "stats" }
  | { type: "close" };

export type FromChild =
  | { type: "initialized"; rssBytes: number }
  | {
      type: "connected";
      agents: number;
      /** ms from the connect order to each agent's first acknowledged inventory report: p50, max. */
      readyP50Ms: number;
      readyMaxMs: number;
      reconnects: number;
      /** First reports sent again (no answer in 30 s, or refused "retry shortly"). */
      retriedReports: number;
    }
  | { type: "ready"; count: number }
  | { type: "startMove"; migrationId: string }
  | { type: "stats"; rssBytes: number; reconnects: number }
  | { type: "error"; message: string };

const ENTRY = path.join(ROOT, "bench/harness/scale-agent-proc.ts");

export interface AgentProcess {
  pid: number;
  send(message: ToChild): void;
  /** The next message of this type (rejects when the child fails or exits first). */
  next<T extends FromChild["type"]>(type: T): Promise<Extract<FromChild, { type: T }>>;
  on(listener: (message: FromChild) => void): void;
  /** Rejects when the child exits unexpectedly or reports an error. */
  failed: Promise<never>;
  stop(): Promise<void>;
}

export function startAgentProcess(name: string): AgentProcess {
  const child: ChildProcess = fork(ENTRY, [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const listeners: ((m: FromChild) => void)[] = [];
  let stopping = false;
  let fail!: (e: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  child.on("message", (m: FromChild) => {
    if (m.type === "error") fail(new Error(`${name}: ${m.message}`));
    for (const l of [...listeners]) l(m);
  });
  child.once("exit", (code, signal) => {
    process.off("exit", killOnExit);
    if (!stopping) fail(new Error(`${name} (pid ${child.pid}) exited unexpectedly (${signal ?? code})`));
  });
  const on = (l: (m: FromChild) => void) => void listeners.push(l);
  return {
    pid: child.pid!,
    send: (m) => void child.send(m),
    on,
    next<T extends FromChild["type"]>(type: T) {
      const message = new Promise<Extract<FromChild, { type: T }>>((resolve) => {
        const l = (m: FromChild) => {
          if (m.type !== type) return;
          listeners.splice(listeners.indexOf(l), 1);
          resolve(m as Extract<FromChild, { type: T }>);
        };
        on(l);
      });
      return Promise.race([failed, message]);
    },
    failed,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.send({ type: "close" } satisfies ToChild);
        else child.kill("SIGTERM");
      });
    },
  };
}
