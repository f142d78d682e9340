// Move: pick a VM, see every candidate host (placementOptions) with each check and its remedy, start the
// move (to a chosen host or where placement chooses), then follow it live (migrationProgress).
import { useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { bytes } from "../format.ts";
import { graphql } from "../graphql.ts";
import { Link, useLocation } from "../router.tsx";
import { BulkMove, type Selected } from "../ui/bulk-move.tsx";
import { ChecksTable } from "../ui/checks-table.tsx";
import { MigrationFailure, MigrationFields, MigrationProgress, MigrationState } from "../ui/migration.tsx";
import { Badge, ErrorBox, Loading } from "../ui/status.tsx";
import { useCan } from "../viewer.tsx";

const VmsQuery = graphql(`
  query MoveVms($nameContains: String) {
    vms(first: 25, filter: { nameContains: $nameContains }) {
      totalCount
      edges {
        node {
          id
          name
          state
          memoryAssignedBytes
          host {
            name
          }
        }
      }
    }
  }
`);

const OptionsQuery = graphql(`
  query PlacementOptions($vm: ID!) {
    placementOptions(vm: $vm) {
      ok
      score
      reasons
      host {
        id
        name
      }
      checks {
        name
        status
        code
        message
        remedy
      }
    }
  }
`);

const MoveMutation = graphql(
  `
  mutation MoveVm($input: MoveVmInput!) {
    moveVm(input: $input) {
      migration {
        ...MigrationFields
      }
      errors {
        __typename
        message
      }
    }
  }
`,
  [MigrationFields],
);

const Progress = graphql(
  `
  subscription MoveProgress($id: ID!) {
    migrationProgress(id: $id) {
      ...MigrationFields
    }
  }
`,
  [MigrationFields],
);

interface Picked {
  id: string;
  name: string;
  host: string;
}

export function Move() {
  const { query } = useLocation();
  const [search, setSearch] = useState(() => query.get("vm") ?? "");
  const [picked, setPicked] = useState<Picked | null>(null);
  const [ticked, setTicked] = useState<Selected[]>([]);
  const can = useCan("OPERATOR");
  const tick = (vm: Selected, on: boolean) =>
    setTicked((all) => (on ? [...all.filter((v) => v.id !== vm.id), vm] : all.filter((v) => v.id !== vm.id)));
  const [vms] = useQuery({ query: VmsQuery, variables: { nameContains: search || null } });
  return (
    <section aria-labelledby="move-title">
      <h1 id="move-title">Move a VM</h1>
      <h2 id="pick-title">1. Pick a VM</h2>
      <label className="filters">
        <span>VM name contains</span>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      {vms.error ? <ErrorBox title="Could not load the VMs" error={vms.error} /> : null}
      {vms.fetching && !vms.data ? <Loading what="VMs" /> : null}
      {vms.data ? (
        <ul className="picker" aria-labelledby="pick-title">
          {vms.data.vms.edges.map(({ node }) => (
            <li key={node.id}>
              {can ? (
                <input
                  type="checkbox"
                  aria-label={`Select ${node.name} for a bulk move`}
                  checked={ticked.some((v) => v.id === node.id)}
                  onChange={(e) => tick({ id: node.id, name: node.name }, e.target.checked)}
                />
              ) : null}{" "}
              <button
                type="button"
                className={picked?.id === node.id ? "" : "secondary"}
                aria-pressed={picked?.id === node.id}
                onClick={() => setPicked({ id: node.id, name: node.name, host: node.host.name })}
              >
                {node.name}
              </button>{" "}
              <span className="muted">
                on {node.host.name}, {node.state}, {bytes(node.memoryAssignedBytes)}
              </span>
            </li>
          ))}
          {vms.data.vms.totalCount > vms.data.vms.edges.length ? (
            <li className="muted">
              {vms.data.vms.totalCount - vms.data.vms.edges.length} more: narrow the search.
            </li>
          ) : null}
        </ul>
      ) : null}
      {picked ? <Options key={picked.id} vm={picked} /> : null}
      {can ? <BulkMove selected={ticked} onClear={() => setTicked([])} /> : null}
    </section>
  );
}

function Options({ vm }: { vm: Picked }) {
  const can = useCan("OPERATOR");
  const [options] = useQuery({
    query: OptionsQuery,
    variables: { vm: vm.id },
    requestPolicy: "network-only",
  });
  const [move, startMove] = useMutation(MoveMutation);
  const started = move.data?.moveVm.migration;
  const refused = move.data?.moveVm.errors?.map((e) => e.message).join("; ");
  const start = (destinationHost: string | null) =>
    void startMove({ input: { vm: vm.id, ...(destinationHost ? { destinationHost } : {}) } });
  return (
    <>
      <h2 id="options-title">
        2. Where {vm.name} can go (now on {vm.host})
      </h2>
      {options.error ? <ErrorBox title="Could not check the hosts" error={options.error} /> : null}
      {options.fetching && !options.data ? <Loading what="placement options" /> : null}
      {can && options.data && !started ? (
        <p>
          <button type="button" disabled={move.fetching} onClick={() => start(null)}>
            Move {vm.name} where placement chooses
          </button>
        </p>
      ) : null}
      {move.error ? <ErrorBox title="The move was not started" error={move.error} /> : null}
      {refused ? <ErrorBox title="The move was refused" error={refused} /> : null}
      {started ? <Started id={started.id} /> : null}
      {options.data?.placementOptions.length === 0 ? <p className="muted">No other host.</p> : null}
      {options.data?.placementOptions.map((o) => (
        <article
          key={o.host.id}
          className="card"
          data-option={o.host.name}
          aria-labelledby={`opt-${o.host.id}`}
        >
          <div className="page-head">
            <h3 id={`opt-${o.host.id}`}>
              {o.host.name} {o.ok ? <Badge tone="ok">can take it</Badge> : <Badge tone="bad">blocked</Badge>}{" "}
              <span className="muted">score {o.score.toFixed(1)}</span>
            </h3>
            {can && !started ? (
              <button type="button" disabled={!o.ok || move.fetching} onClick={() => start(o.host.id)}>
                Move to {o.host.name}
              </button>
            ) : null}
          </div>
          <ChecksTable checks={o.checks} caption={`Checks for ${o.host.name}`} />
          {o.reasons.length ? (
            <details>
              <summary>Score</summary>
              <ul>
                {o.reasons.map((r) => (
                  <li key={r}>{r}</li>
                ))}
              </ul>
            </details>
          ) : null}
        </article>
      ))}
    </>
  );
}

function Started({ id }: { id: string }) {
  const [{ data, error }] = useSubscription({ query: Progress, variables: { id } });
  const m = data?.migrationProgress;
  return (
    <div className="card" aria-live="polite" data-started={id}>
      <h3>3. Progress</h3>
      {error ? <ErrorBox title="Live progress stopped" error={error} /> : null}
      {m ? (
        <>
          <p>
            {m.vmName}: {m.sourceHost.name} → {m.destinationHost?.name ?? "(placement)"}{" "}
            <MigrationState m={m} />
          </p>
          <MigrationProgress m={m} />
          <MigrationFailure m={m} />
        </>
      ) : (
        <Loading what="the move's progress" />
      )}
      <p>
        <Link to="/migrations">All migrations</Link>
      </p>
    </div>
  );
}
