// Connection: 2,000 agents connect at once and each reports its inventory; the API's memory (RSS)
// at rest with them connected, against the idle API's RSS measured in the same run.

import { scaleSession } from "./harness/session.ts";
import { fmt, MiB, table } from "./harness/stats.ts";

const RSS_TARGET_BYTES = 1.5 * 2 ** 30;

export async function runConnectBench(): Promise<void> {
  const { stats } = await scaleSession();
  table([
    ["measurement", "value"],
    ["agents (one WebSocket each)", String(stats.agents)],
    ["VMs stored", String(stats.vms)],
    ["enrollment via API (s, 16 in flight)", fmt(stats.enrollSeconds)],
    ["connect + first inventory report (s)", fmt(stats.connectSeconds)],
    ["agents/s", fmt(stats.agents / stats.connectSeconds)],
    ["reconnects during connect", String(stats.reconnects)],
    ["first reports sent again (no answer in 30 s, or retry shortly)", String(stats.reportRetries)],
    ["API RSS idle, baseline (MiB)", fmt(stats.idleRssBytes / MiB, 0)],
    ["API RSS peak while connecting (MiB)", fmt(stats.peakRssBytes / MiB, 0)],
    ["API RSS at rest, agents connected (MiB)", fmt(stats.restRssBytes / MiB, 0)],
    ["API CPU at rest, agents connected (% of a core)", fmt(stats.restCpuPercent)],
    ["harness process RSS (MiB)", fmt(stats.harnessRssBytes / MiB, 0)],
  ]);
  const perAgentKiB = (stats.restRssBytes - stats.idleRssBytes) / stats.agents / 1024;
  console.log(
    `target: RSS at rest < 1536 MiB with ${stats.agents} agents: ${stats.restRssBytes < RSS_TARGET_BYTES ? "met" : "MISSED"}`,
  );
  console.log(`connect-seconds: ${stats.connectSeconds.toFixed(1)}`);
  console.log(`connect-report-retries: ${stats.reportRetries}`);
  console.log(`connect-rss-mib: ${(stats.restRssBytes / MiB).toFixed(0)}`);
  console.log(`connect-rss-per-agent-kib: ${perAgentKiB.toFixed(1)}`);
  console.log(`connect-rest-cpu-percent: ${stats.restCpuPercent.toFixed(1)}`);
  console.log(`connect-rss-ratio: ${(stats.restRssBytes / stats.idleRssBytes).toFixed(2)}`);
}
