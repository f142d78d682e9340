// Host: its facts, readiness checks with remedies, migration settings (and, for ADMIN, the actions that
// change them), its VMs (searchable, paged by the API's connection arguments) and recent Hyper-V events.
// Live through hostChanged, hostOperationChanged and hostEvents for this host.
import { useEffect, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { bytes, dateTime, percent } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { Link, useLocation } from "../router.tsx";
import { ChecksTable } from "../ui/checks-table.tsx";
import { HostActions, HostOperations } from "../ui/host-actions.tsx";
import { Pager, useCursorPages } from "../ui/pager.tsx";
import { Badge, Bar, ErrorBox, Loading } from "../ui/status.tsx";
import { useCan } from "../viewer.tsx";

export const HostFields = graphql(`
  fragment HostFields on Host {
    id
    name
    fqdn
    domain
    cpuVendor
    cpuModel
    logicalProcessorCount
    memoryCapacityBytes
    memoryAvailableBytes
    memoryReserveBytes
    virtualSwitches
    agent {
      connected
      lastSeenAt
      version
    }
    migrationSettings {
      enabled
      authenticationType
      performanceOption
      maximumVirtualMachineMigrations
      maximumStorageMigrations
      useAnyNetworkForMigration
      networks {
        subnet
        priority
      }
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
  }
`);

const HostQuery = graphql(
  `
  query HostPage($name: String!) {
    host(name: $name) {
      ...HostFields
    }
  }
`,
  [HostFields],
);

const HostLive = graphql(
  `
  subscription HostLive($host: ID!) {
    hostChanged(host: $host) {
      ...HostFields
    }
  }
`,
  [HostFields],
);

export type HostView = ResultOf<typeof HostFields>;

export function Host() {
  const { query } = useLocation();
  const name = query.get("name") ?? "";
  const [{ data, fetching, error }] = useQuery({ query: HostQuery, variables: { name } });
  const host = data?.host;
  return (
    <section aria-labelledby="host-title">
      <p>
        <Link to="/">← Fleet</Link>
      </p>
      <h1 id="host-title">Host {name}</h1>
      {error ? <ErrorBox title="Could not load the host" error={error} /> : null}
      {fetching && !data ? <Loading what={`host ${name}`} /> : null}
      {data && !host ? <ErrorBox title="No such host" error={`There is no host named ${name}.`} /> : null}
      {host ? <HostBody key={host.id} initial={host} /> : null}
    </section>
  );
}

function HostBody({ initial }: { initial: HostView }) {
  const [{ data: changed }] = useSubscription({ query: HostLive, variables: { host: initial.id } });
  const host = changed?.hostChanged ?? initial;
  const admin = useCan("ADMIN");
  const capacity = Number(host.memoryCapacityBytes);
  const used = capacity - Number(host.memoryAvailableBytes);
  const s = host.migrationSettings;
  return (
    <>
      <dl className="facts" data-host-facts>
        <dt>Agent</dt>
        <dd>
          {host.agent.connected ? <Badge tone="ok">connected</Badge> : <Badge tone="bad">disconnected</Badge>}{" "}
          <span className="muted">
            {host.agent.version ? `version ${host.agent.version}, ` : ""}last seen{" "}
            {dateTime(host.agent.lastSeenAt)}
          </span>
        </dd>
        <dt>Name</dt>
        <dd>
          {host.fqdn ?? host.name}{" "}
          <span className="muted">{host.domain ? `domain ${host.domain}` : "workgroup"}</span>
        </dd>
        <dt>CPU</dt>
        <dd>
          {host.cpuVendor} {host.cpuModel}, {host.logicalProcessorCount} logical processors
        </dd>
        <dt>Memory</dt>
        <dd className="memory">
          <Bar
            label={`Memory used on ${host.name}`}
            value={percent(used, capacity)}
            text={`${bytes(used)} used, ${bytes(host.memoryAvailableBytes)} free of ${bytes(capacity)} (reserve ${bytes(host.memoryReserveBytes)})`}
          />
        </dd>
        <dt>Switches</dt>
        <dd>{host.virtualSwitches.join(", ") || "none"}</dd>
        <dt>Maintenance</dt>
        <dd>
          {host.maintenance ? (
            <Link to={`/maintenance?host=${encodeURIComponent(host.name)}`}>
              {host.maintenance.state} {host.maintenance.percentComplete} %
            </Link>
          ) : (
            <Link to={`/maintenance?host=${encodeURIComponent(host.name)}`}>none: plan one</Link>
          )}
        </dd>
      </dl>

      <h2 id="readiness-title">Readiness for live migration</h2>
      <ChecksTable checks={host.readiness} labelledBy="readiness-title" className="readiness" />

      <h2 id="settings-title">Migration settings</h2>
      <dl className="facts" data-settings>
        <dt>Live migration</dt>
        <dd>{s.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="bad">disabled</Badge>}</dd>
        <dt>Authentication</dt>
        <dd>{s.authenticationType}</dd>
        <dt>Performance option</dt>
        <dd>{s.performanceOption}</dd>
        <dt>Simultaneous live migrations</dt>
        <dd>{s.maximumVirtualMachineMigrations}</dd>
        <dt>Simultaneous storage migrations</dt>
        <dd>{s.maximumStorageMigrations}</dd>
        <dt>Networks</dt>
        <dd>
          {s.useAnyNetworkForMigration
            ? "any network"
            : s.networks
                .map((n) => `${n.subnet}${n.priority !== null ? ` (priority ${n.priority})` : ""}`)
                .join(", ") || "none"}
        </dd>
      </dl>
      {admin ? <HostActions host={host} /> : null}
      <HostOperations host={host.id} />

      <HostVms host={host.name} />
      <HostEvents host={host.id} />
    </>
  );
}

const VmsQuery = graphql(`
  query HostVms($host: String!, $nameContains: String, $first: Int, $after: String) {
    vms(first: $first, after: $after, filter: { host: $host, nameContains: $nameContains }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          state
          memoryAssignedBytes
          cpuUsage
          generation
          configurationVersion
        }
      }
    }
  }
`);

export const VM_PAGE = 10;

function HostVms({ host }: { host: string }) {
  const [search, setSearch] = useState("");
  const pages = useCursorPages();
  const [vms] = useQuery({
    query: VmsQuery,
    variables: { host, nameContains: search || null, first: VM_PAGE, after: pages.after },
  });
  const page = vms.data?.vms.pageInfo;
  return (
    <>
      <h2 id="vms-title">VMs</h2>
      <form className="filters" aria-label="Search the VMs" onSubmit={(e) => e.preventDefault()}>
        <label>
          VM name contains
          <input
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              pages.reset();
            }}
          />
        </label>
      </form>
      {vms.error ? <ErrorBox title="Could not load the VMs" error={vms.error} /> : null}
      {vms.fetching && !vms.data ? <Loading what="VMs" /> : null}
      {vms.data ? (
        <>
          <p className="summary" data-vm-count>
            {vms.data.vms.totalCount} VMs{search ? ` matching “${search}”` : ""}, page {pages.number}
          </p>
          <div className="table-wrap">
            <table aria-labelledby="vms-title">
              <thead>
                <tr>
                  <th scope="col">VM</th>
                  <th scope="col">State</th>
                  <th scope="col">Memory</th>
                  <th scope="col">CPU</th>
                  <th scope="col">Version</th>
                </tr>
              </thead>
              <tbody>
                {vms.data.vms.edges.map(({ node }) => (
                  <tr key={node.id} data-vm={node.name}>
                    <th scope="row">
                      <Link to={`/vm?id=${encodeURIComponent(node.id)}`}>{node.name}</Link>
                    </th>
                    <td>{node.state}</td>
                    <td>{bytes(node.memoryAssignedBytes)}</td>
                    <td>{node.cpuUsage} %</td>
                    <td>
                      {node.configurationVersion} <span className="muted">gen {node.generation}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="VM pages" pages={pages} pageInfo={page} />
        </>
      ) : null}
    </>
  );
}

const EventFields = graphql(`
  fragment EventFields on HostEvent {
    id
    eventId
    level
    message
    vmName
    timeCreated
  }
`);

const EventsQuery = graphql(
  `
  query HostEventsPage($host: ID!) {
    hostEvents(first: 20, filter: { host: $host }) {
      totalCount
      edges {
        node {
          ...EventFields
        }
      }
    }
  }
`,
  [EventFields],
);

const EventsLive = graphql(
  `
  subscription HostEventsLive($host: ID!) {
    hostEvents(host: $host) {
      ...EventFields
    }
  }
`,
  [EventFields],
);

type EventRow = ResultOf<typeof EventFields>;

function HostEvents({ host }: { host: string }) {
  const [events] = useQuery({ query: EventsQuery, variables: { host } });
  const [{ data: arrived }] = useSubscription({ query: EventsLive, variables: { host } });
  const [live, setLive] = useState<EventRow[]>([]);
  useEffect(() => {
    if (arrived) setLive((all) => [arrived.hostEvents, ...all.filter((e) => e.id !== arrived.hostEvents.id)]);
  }, [arrived]);
  const listed = (events.data?.hostEvents.edges ?? []).map((e) => e.node);
  const rows = [...live, ...listed.filter((e) => !live.some((l) => l.id === e.id))].slice(0, 20);
  return (
    <>
      <h2 id="events-title">Recent Hyper-V events</h2>
      {events.error ? <ErrorBox title="Could not load the events" error={events.error} /> : null}
      {events.fetching && !events.data ? <Loading what="events" /> : null}
      {events.data && rows.length === 0 ? <p className="muted">No events reported.</p> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table aria-labelledby="events-title">
            <thead>
              <tr>
                <th scope="col">Logged</th>
                <th scope="col">Level</th>
                <th scope="col">Event id</th>
                <th scope="col">VM</th>
                <th scope="col">Message</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id} data-event={e.eventId}>
                  <td>{dateTime(e.timeCreated)}</td>
                  <td>
                    <Badge
                      tone={
                        e.level === "ERROR" || e.level === "CRITICAL"
                          ? "bad"
                          : e.level === "WARNING"
                            ? "warn"
                            : "info"
                      }
                    >
                      {e.level}
                    </Badge>
                  </td>
                  <td>{e.eventId}</td>
                  <td>{e.vmName ?? "–"}</td>
                  <td>{e.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
