// The scale benchmark's API replicas (services/api/src/main.ts, each its own process, one PostgreSQL,
// one Redis), the file-descriptor limits they and the agent processes need, and a monitor that fails
// the benchmark at once when any of its processes dies.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { type ApiProcess, benchApiEnv, rssOf, startApiProcess } from "./api.ts";
import { benchEnv } from "./env.ts";

export const DEFAULT_REDIS = "redis://127.0.0.1:6379";
export const SCALE_DB_CONNECT_TIMEOUT_MS = 60_000;

export interface Replica {
  index: number;
  /** FERRY_REPLICA_ID (the prefix of Host.agentReplica for the agents it holds). */
  name: string;
  api: ApiProcess;
}

export async function startReplicas(
  count: number,
  databaseUrl: string,
  redisUrl: string,
  poolSize: number,
): Promise<Replica[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, index) => {
      const name = `scale-replica-${index + 1}`;
      const api = await startApiProcess({
        ...benchApiEnv(databaseUrl, poolSize),
        REDIS_URL: redisUrl,
        FERRY_REPLICA_ID: name,
        // Thousands of agents connecting at once on a loaded 2-core machine wait longer than the
        // default 5 s for a pooled connection (refused 1013, or a new connection aborted mid-way).
        FERRY_DB_CONNECT_TIMEOUT_MS:
          benchEnv("BENCH_DB_CONNECT_TIMEOUT_MS") ?? String(SCALE_DB_CONNECT_TIMEOUT_MS),
      });
      return { index, name, api };
    }),
  );
  const replicas = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failure = started.find((s) => s.status === "rejected");
  if (failure) {
    await Promise.allSettled(replicas.map((r) => r.api.stop()));
    throw new Error(`a replica did not start: ${(failure.reason as Error).message}`);
  }
  return replicas.sort((a, b) => a.index - b.index);
}

/** Resolves when Redis answers PING at `url`; rejects with how to start it otherwise. */
export async function checkRedis(url: string): Promise<void> {
  const u = new URL(url);
  const ok = await new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (v: boolean) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => done(d.toString().startsWith("+PONG") || d.toString().startsWith("-NOAUTH")));
  });
  if (!ok) {
    throw new Error(
      `Redis is not reachable at ${url}. The scale benchmark needs one Redis: set BENCH_REDIS_URL, or start the\n` +
        `local one: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`,
    );
  }
}

/** This process's open-file limits (soft, hard), from /proc. */
export function fileLimits(pid: number | "self" = "self"): { soft: number; hard: number } {
  const line = fs
    .readFileSync(`/proc/${pid}/limits`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const [soft, hard] = (line?.match(/\d+|unlimited/g) ?? []).map((v) =>
    v === "unlimited" ? Number.POSITIVE_INFINITY : Number(v),
  );
  return { soft: soft ?? 1024, hard: hard ?? 1024 };
}

/**
 * Makes sure process `pid` may open `needed` files: raises its soft limit (prlimit, up to the hard
 * limit) when it is lower; throws when even the hard limit is too low (raise it: ulimit -Hn as root).
 */
export function ensureFileLimit(pid: number, needed: number, what: string): void {
  const { soft, hard } = fileLimits(pid);
  if (soft >= needed) return;
  if (hard < needed) {
    throw new Error(
      `${what} needs ~${needed} open files but its hard limit is ${hard}: raise it (ulimit -Hn, limits.conf) or use fewer agents (BENCH_SCALE_AGENTS)`,
    );
  }
  const r = spawnSync("prlimit", ["--pid", String(pid), `--nofile=${hard}:${hard}`], { encoding: "utf8" });
  if (r.status !== 0 || fileLimits(pid).soft < needed) {
    throw new Error(`could not raise ${what}'s open-file limit to ${hard} (prlimit: ${r.stderr || r.error})`);
  }
}

/**
 * Kills `pids` if this process dies without cleaning up (SIGKILL gives it no chance to): a detached
 * shell that waits for this process to go. stop() ends the watcher (and nothing else).
 */
export function orphanGuard(pids: number[]): { stop(): void } {
  const watcher = spawn(
    "sh",
    [
      "-c",
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pids.join(" ")} 2>/dev/null`,
    ],
    { detached: true, stdio: "ignore" },
  );
  watcher.unref();
  return {
    stop: () => {
      try {
        watcher.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/**
 * Watches the replicas (alive, RSS peak per replica) every 500 ms; `failed` rejects as soon as one
 * is gone (with the tail of its output), so every wait of the benchmark can race it.
 */
export function monitorReplicas(replicas: Replica[]) {
  const peak = replicas.map(() => 0);
  let fail!: (e: Error) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const timer = setInterval(() => {
    for (const r of replicas) {
      try {
        peak[r.index] = Math.max(peak[r.index]!, rssOf(r.api.pid));
      } catch {
        clearInterval(timer);
        fail(
          new Error(
            `replica ${r.name} (pid ${r.api.pid}) died\n--- its output (tail) ---\n${r.api.output().slice(-3000)}`,
          ),
        );
        return;
      }
    }
  }, 500);
  return { peak, failed, stop: () => clearInterval(timer) };
}

export const redisUrl = () => benchEnv("BENCH_REDIS_URL") ?? DEFAULT_REDIS;
