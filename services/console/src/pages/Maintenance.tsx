// Maintenance: pick a host, see the what-if evacuationPlan (a table of moves and a picture of every host's
// memory before and after), start the maintenance, follow the drain live (maintenanceChanged), end it with
// the VMs' return (endMaintenance returnVms: true) or cancel it.
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { bytes, dateTime, seconds } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { Link, navigate, useLocation } from "../router.tsx";
import { MaintenanceStatus } from "../ui/maintenance-status.tsx";
import { MemoryPicture } from "../ui/memory-picture.tsx";
import { Badge, checkTone, ErrorBox, Loading } from "../ui/status.tsx";
import { useCan } from "../viewer.tsx";

const HostsQuery = graphql(`
  query MaintenanceHosts {
    hosts(first: 500) {
      edges {
        node {
          id
          name
          memoryCapacityBytes
          memoryAvailableBytes
          maintenance {
            id
            state
          }
        }
      }
    }
  }
`);

const PlanQuery = graphql(`
  query EvacuationPlan($input: EvacuationPlanInput!) {
    evacuationPlan(input: $input) {
      estimatedSeconds
      lowerBoundSeconds
      steps {
        order
        kind
        startsAfterSeconds
        estimatedSeconds
        vm {
          id
          name
          memoryAssignedBytes
        }
        destination {
          id
          name
        }
      }
      unmovable {
        vmName
        vm {
          memoryAssignedBytes
        }
        checks {
          name
          status
          message
          remedy
        }
      }
    }
  }
`);

const StartMutation = graphql(`
  mutation StartMaintenance($input: StartMaintenanceInput!) {
    startMaintenance(input: $input) {
      maintenance {
        id
        state
      }
      errors {
        __typename
        message
      }
    }
  }
`);

export type Plan = ResultOf<typeof PlanQuery>["evacuationPlan"];
type Policy = "STAY_RUNNING" | "SAVE" | "SHUT_DOWN";

export function Maintenance() {
  const { query } = useLocation();
  const selected = query.get("host") ?? "";
  const [hosts, refetchHosts] = useQuery({ query: HostsQuery });
  const list = (hosts.data?.hosts.edges ?? []).map((e) => e.node);
  const host = list.find((h) => h.name.toLowerCase() === selected.toLowerCase()) ?? null;
  // The maintenance shown: the host's open one, or the one that just ended here (its final state stays).
  const [ended, setEnded] = useState<Record<string, string>>({});
  const [changes, setChanges] = useState(0);
  const shown = host ? (host.maintenance?.id ?? ended[host.id] ?? null) : null;
  const onEnded = useCallback(
    (id: string) => {
      if (host) setEnded((all) => ({ ...all, [host.id]: id }));
      setChanges((n) => n + 1);
      refetchHosts({ requestPolicy: "network-only" });
    },
    [host, refetchHosts],
  );
  return (
    <section aria-labelledby="maintenance-title">
      <h1 id="maintenance-title">Maintenance</h1>
      {hosts.error ? <ErrorBox title="Could not load the hosts" error={hosts.error} /> : null}
      {hosts.fetching && !hosts.data ? <Loading what="hosts" /> : null}
      {hosts.data ? (
        <form className="filters" aria-label="Pick a host" onSubmit={(e) => e.preventDefault()}>
          <label>
            Host
            <select
              value={host?.name ?? ""}
              onChange={(e) => navigate(`/maintenance?host=${encodeURIComponent(e.target.value)}`)}
            >
              <option value="">choose a host</option>
              {list.map((h) => (
                <option key={h.id} value={h.name}>
                  {h.name}
                  {h.maintenance ? ` (${h.maintenance.state})` : ""}
                </option>
              ))}
            </select>
          </label>
        </form>
      ) : null}
      {shown ? <MaintenanceStatus key={shown} id={shown} onEnded={onEnded} /> : null}
      {host && !host.maintenance ? (
        <WhatIf
          key={host.id}
          host={host}
          hosts={list}
          onStarted={() => {
            setChanges((n) => n + 1);
            refetchHosts({ requestPolicy: "network-only" });
          }}
        />
      ) : null}
      {hosts.data && !host ? <p className="muted">Pick the host to empty.</p> : null}
      <RecentMaintenances changes={changes} />
    </section>
  );
}

function WhatIf(props: {
  host: { id: string; name: string };
  hosts: { id: string; name: string; memoryCapacityBytes: string; memoryAvailableBytes: string }[];
  onStarted: () => void;
}) {
  const can = useCan("OPERATOR");
  const [policy, setPolicy] = useState<Policy>("STAY_RUNNING");
  const [asked, setAsked] = useState(false);
  const [plan] = useQuery({
    query: PlanQuery,
    variables: { input: { host: props.host.id, unmovable: policy } },
    pause: !asked,
    requestPolicy: "network-only",
  });
  const [start, doStart] = useMutation(StartMutation);
  const refused = start.data?.startMaintenance.errors?.map((e) => e.message).join("; ");
  const run = (e: FormEvent) => {
    e.preventDefault();
    setAsked(true);
  };
  const begin = async () => {
    const r = await doStart({ input: { host: props.host.id, unmovable: policy } });
    if (r.data?.startMaintenance.maintenance) props.onStarted();
  };
  const p = plan.data?.evacuationPlan;
  return (
    <>
      <h2 id="whatif-title">What if {props.host.name} is emptied?</h2>
      <form className="filters" onSubmit={run} aria-label="Evacuation what-if">
        <label>
          VMs that cannot move
          <select value={policy} onChange={(e) => setPolicy(e.target.value as Policy)}>
            <option value="STAY_RUNNING">stay running</option>
            <option value="SAVE">are saved</option>
            <option value="SHUT_DOWN">are shut down</option>
          </select>
        </label>
        <button type="submit" className="secondary">
          Plan the evacuation
        </button>
        {can ? (
          <button type="button" disabled={start.fetching} onClick={() => void begin()}>
            Start maintenance of {props.host.name}
          </button>
        ) : null}
      </form>
      {start.error ? <ErrorBox title="Maintenance not started" error={start.error} /> : null}
      {refused ? <ErrorBox title="Maintenance refused" error={refused} /> : null}
      {plan.error ? <ErrorBox title="Could not plan the evacuation" error={plan.error} /> : null}
      {asked && plan.fetching ? <Loading what="the evacuation plan" /> : null}
      {p && !plan.fetching ? <PlanView plan={p} host={props.host} hosts={props.hosts} /> : null}
    </>
  );
}

function PlanView(props: {
  plan: Plan;
  host: { id: string; name: string };
  hosts: { id: string; name: string; memoryCapacityBytes: string; memoryAvailableBytes: string }[];
}) {
  const { plan } = props;
  return (
    <div data-plan={props.host.name}>
      <p className="summary">
        {plan.steps.length} {plan.steps.length === 1 ? "move" : "moves"}, about{" "}
        {seconds(plan.estimatedSeconds)} (no schedule is faster than {seconds(plan.lowerBoundSeconds)});{" "}
        {plan.unmovable.length} {plan.unmovable.length === 1 ? "VM cannot" : "VMs cannot"} move. Nothing has
        changed yet.
      </p>
      <MemoryPicture plan={plan} source={props.host.id} hosts={props.hosts} />
      {plan.steps.length ? (
        <div className="table-wrap">
          <table className="plan">
            <caption>Planned moves, in start order</caption>
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">VM</th>
                <th scope="col">Memory</th>
                <th scope="col">To</th>
                <th scope="col">Kind</th>
                <th scope="col">Starts after</th>
                <th scope="col">Takes about</th>
              </tr>
            </thead>
            <tbody>
              {plan.steps.map((s) => (
                <tr key={s.vm.id} data-step={s.vm.name}>
                  <td>{s.order}</td>
                  <th scope="row">{s.vm.name}</th>
                  <td>{bytes(s.vm.memoryAssignedBytes)}</td>
                  <td>{s.destination.name}</td>
                  <td>{s.kind}</td>
                  <td>{seconds(s.startsAfterSeconds)}</td>
                  <td>{seconds(s.estimatedSeconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {plan.unmovable.length ? (
        <>
          <h3>Cannot move</h3>
          <ul className="checks">
            {plan.unmovable.map((u) => (
              <li key={u.vmName} data-unmovable={u.vmName}>
                <strong>{u.vmName}</strong> ({bytes(u.vm.memoryAssignedBytes)}):
                <ul>
                  {u.checks
                    .filter((c) => c.status !== "PASS")
                    .map((c) => (
                      <li key={c.name}>
                        <Badge tone={checkTone(c.status)}>{c.name}</Badge> {c.message}
                        {c.remedy ? <div className="remedy">Remedy: {c.remedy}</div> : null}
                      </li>
                    ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

const RecentQuery = graphql(`
  query RecentMaintenances {
    maintenances(first: 10) {
      edges {
        node {
          id
          state
          requestedAt
          requestedBy
          finishedAt
          movedCount
          totalCount
          returnedCount
          returnCount
          host {
            name
          }
        }
      }
    }
  }
`);

function RecentMaintenances({ changes }: { changes: number }) {
  const [recent, refetch] = useQuery({ query: RecentQuery });
  useEffect(() => {
    if (changes > 0) refetch({ requestPolicy: "network-only" });
  }, [changes, refetch]);
  const rows = (recent.data?.maintenances.edges ?? []).map((e) => e.node);
  return (
    <>
      <h2 id="recent-title">Recent maintenances</h2>
      {recent.error ? <ErrorBox title="Could not load the maintenances" error={recent.error} /> : null}
      {recent.fetching && !recent.data ? <Loading what="maintenances" /> : null}
      {recent.data && rows.length === 0 ? <p className="muted">None yet.</p> : null}
      {rows.length ? (
        <div className="table-wrap">
          <table aria-labelledby="recent-title">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">State</th>
                <th scope="col">Moved</th>
                <th scope="col">Returned</th>
                <th scope="col">Requested</th>
                <th scope="col">Ended</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={m.id} data-maintenance={m.id}>
                  <th scope="row">
                    <Link to={`/maintenance?host=${encodeURIComponent(m.host.name)}`}>{m.host.name}</Link>
                  </th>
                  <td>{m.state}</td>
                  <td>
                    {m.movedCount} of {m.totalCount}
                  </td>
                  <td>
                    {m.returnedCount} of {m.returnCount}
                  </td>
                  <td>
                    {dateTime(m.requestedAt)} <span className="muted">by {m.requestedBy}</span>
                  </td>
                  <td>{dateTime(m.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}
