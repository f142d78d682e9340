// Fleet: every host with its agent, CPU vendor, memory, readiness and maintenance; live through hostChanged.
import { useEffect, useMemo, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { bytes, percent } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { Link } from "../router.tsx";
import { Badge, Bar, checkTone, ErrorBox, Loading, PageHead } from "../ui/status.tsx";

const HostRow = graphql(`
  fragment FleetHost on Host {
    id
    name
    cpuVendor
    cpuModel
    logicalProcessorCount
    memoryCapacityBytes
    memoryAvailableBytes
    agent {
      connected
      lastSeenAt
      version
    }
    migrationSettings {
      enabled
    }
    readiness {
      name
      status
      message
      remedy
    }
    maintenance {
      id
      state
      percentComplete
    }
    activeMigrations {
      id
    }
    vms(first: 1) {
      totalCount
    }
  }
`);

const FleetQuery = graphql(
  `
  query Fleet {
    hosts(first: 500) {
      totalCount
      edges {
        node {
          ...FleetHost
        }
      }
    }
  }
`,
  [HostRow],
);

const HostChanged = graphql(
  `
  subscription FleetHostChanged {
    hostChanged {
      ...FleetHost
    }
  }
`,
  [HostRow],
);

type Host = ResultOf<typeof HostRow>;

export function Fleet() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: FleetQuery });
  const [live, setLive] = useState<Record<string, Host>>({});
  const [{ data: changed, error: liveError }] = useSubscription({ query: HostChanged });
  useEffect(() => {
    if (changed) setLive((all) => ({ ...all, [changed.hostChanged.id]: changed.hostChanged }));
  }, [changed]);
  const hosts = useMemo(() => (data?.hosts.edges ?? []).map((e) => live[e.node.id] ?? e.node), [data, live]);

  return (
    <section aria-labelledby="fleet-title">
      <PageHead
        id="fleet-title"
        title="Fleet"
        onRefresh={() => refetch({ requestPolicy: "network-only" })}
        primary
      />
      {liveError ? <ErrorBox title="Live updates stopped" error={liveError} /> : null}
      {error ? <ErrorBox title="Could not load the hosts" error={error} /> : null}
      {fetching && !data ? <Loading what="hosts" /> : null}
      {data ? (
        <>
          <p className="summary">
            {data.hosts.totalCount} hosts, {hosts.filter((h) => h.agent.connected).length} agents connected
          </p>
          <div className="table-wrap">
            <table className="fleet">
              <caption className="sr-only">Hosts</caption>
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Agent</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Memory</th>
                  <th scope="col">Readiness</th>
                  <th scope="col">VMs</th>
                  <th scope="col">Maintenance</th>
                  <th scope="col">Moves</th>
                </tr>
              </thead>
              <tbody>
                {hosts.map((host) => (
                  <HostLine key={host.id} host={host} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </section>
  );
}

function HostLine({ host }: { host: Host }) {
  const capacity = Number(host.memoryCapacityBytes);
  const used = capacity - Number(host.memoryAvailableBytes);
  const failing = host.readiness.filter((c) => c.status !== "PASS");
  return (
    <tr data-host={host.name}>
      <th scope="row">
        <Link to={`/host?name=${encodeURIComponent(host.name)}`}>{host.name}</Link>
      </th>
      <td>
        {host.agent.connected ? (
          <Badge tone="ok">connected</Badge>
        ) : (
          <Badge tone="bad" title={host.agent.lastSeenAt ? `last seen ${host.agent.lastSeenAt}` : undefined}>
            disconnected
          </Badge>
        )}
      </td>
      <td>
        <Badge tone="info" title={host.cpuModel}>
          {host.cpuVendor}
        </Badge>{" "}
        <span className="muted">{host.logicalProcessorCount} LP</span>
      </td>
      <td className="memory">
        <Bar
          label={`Memory used on ${host.name}`}
          value={percent(used, capacity)}
          tone={percent(used, capacity) > 90 ? "bad" : "info"}
          text={`${bytes(used)} used, ${bytes(host.memoryAvailableBytes)} free of ${bytes(capacity)}`}
        />
      </td>
      <td>
        {failing.length === 0 ? (
          <Badge tone="ok">ready</Badge>
        ) : (
          <details>
            <summary>
              {failing.map((c) => (
                <Badge key={c.name} tone={checkTone(c.status)}>
                  {c.name}
                </Badge>
              ))}
            </summary>
            <ul className="checks">
              {failing.map((c) => (
                <li key={c.name}>
                  <strong>{c.name}</strong> ({c.status}): {c.message}
                  {c.remedy ? <div className="remedy">Remedy: {c.remedy}</div> : null}
                </li>
              ))}
            </ul>
          </details>
        )}
      </td>
      <td>{host.vms.totalCount}</td>
      <td>
        {host.maintenance ? (
          <Badge tone="warn">
            {host.maintenance.state} {host.maintenance.percentComplete} %
          </Badge>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
      <td>{host.activeMigrations.length}</td>
    </tr>
  );
}
