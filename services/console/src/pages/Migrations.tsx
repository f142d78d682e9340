// Migrations: the queue and running moves with live progress (migrationsChanged), cancel; history with filters.
import { useEffect, useMemo, useState } from "react";
import { useQuery, useSubscription } from "urql";
import { dateTime, seconds } from "../format.ts";
import { graphql } from "../graphql.ts";
import {
  ACTIVE_STATES,
  CancelButton,
  MigrationFailure,
  MigrationFields,
  MigrationProgress,
  type MigrationRow,
  MigrationState,
} from "../ui/migration.tsx";
import { Pager, useCursorPages } from "../ui/pager.tsx";

import { ErrorBox, Loading, PageHead } from "../ui/status.tsx";

const ActiveQuery = graphql(
  `
  query ActiveMigrations {
    migrations(first: 200, filter: { active: true }) {
      totalCount
      edges {
        node {
          ...MigrationFields
        }
      }
    }
  }
`,
  [MigrationFields],
);

const HistoryQuery = graphql(
  `
  query MigrationHistory($filter: MigrationFilter, $after: String) {
    migrations(first: 20, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...MigrationFields
        }
      }
    }
  }
`,
  [MigrationFields],
);

const Changed = graphql(
  `
  subscription MigrationsChanged {
    migrationsChanged {
      ...MigrationFields
    }
  }
`,
  [MigrationFields],
);

const ENDED = ["SUCCEEDED", "FAILED", "CANCELLED"] as const;
type Ended = (typeof ENDED)[number];

export function Migrations() {
  const [active, refetchActive] = useQuery({ query: ActiveQuery });
  const [live, setLive] = useState<Record<string, MigrationRow>>({});
  const [{ data: changed, error: liveError }] = useSubscription({ query: Changed });
  useEffect(() => {
    if (changed) setLive((all) => ({ ...all, [changed.migrationsChanged.id]: changed.migrationsChanged }));
  }, [changed]);

  // The queue: what the query listed and what arrived since, each in its latest state, still active.
  const queue = useMemo(() => {
    const byId = new Map<string, MigrationRow>();
    for (const e of active.data?.migrations.edges ?? []) byId.set(e.node.id, e.node);
    for (const m of Object.values(live)) byId.set(m.id, m);
    return [...byId.values()]
      .filter((m) => ACTIVE_STATES.includes(m.state))
      .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  }, [active.data, live]);

  return (
    <section aria-labelledby="migrations-title">
      <PageHead
        id="migrations-title"
        title="Migrations"
        onRefresh={() => refetchActive({ requestPolicy: "network-only" })}
      />
      {liveError ? <ErrorBox title="Live updates stopped" error={liveError} /> : null}
      <h2 id="queue-title">Queue and running</h2>
      {active.error ? <ErrorBox title="Could not load the queue" error={active.error} /> : null}
      {active.fetching && !active.data ? <Loading what="the queue" /> : null}
      {active.data && queue.length === 0 ? <p className="muted">Nothing is queued or moving.</p> : null}
      {queue.length > 0 ? <MigrationTable rows={queue} label="queue-title" showProgress /> : null}
      <History live={live} />
    </section>
  );
}

function History({ live }: { live: Record<string, MigrationRow> }) {
  const [state, setState] = useState<Ended | "">("");
  const [vmName, setVmName] = useState("");
  const pages = useCursorPages();
  const filter = { active: false, ...(state ? { states: [state] } : {}) };
  const [history, refetch] = useQuery({
    query: HistoryQuery,
    variables: { filter, after: pages.after },
  });
  // A move that ends while the page is open: refresh the first page of the history.
  const endedCount = Object.values(live).filter((m) => !ACTIVE_STATES.includes(m.state)).length;
  useEffect(() => {
    if (endedCount > 0) refetch({ requestPolicy: "network-only" });
  }, [endedCount, refetch]);
  const rows = (history.data?.migrations.edges ?? [])
    .map((e) => e.node)
    .filter((m) => vmName === "" || m.vmName.toLowerCase().includes(vmName.toLowerCase()));
  const page = history.data?.migrations.pageInfo;
  return (
    <>
      <h2 id="history-title">History</h2>
      <form className="filters" aria-label="Filter the history" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select
            value={state}
            onChange={(e) => {
              setState(e.target.value as Ended | "");
              pages.reset();
            }}
          >
            <option value="">any</option>
            {ENDED.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          VM name contains (this page)
          <input type="search" value={vmName} onChange={(e) => setVmName(e.target.value)} />
        </label>
      </form>
      {history.error ? <ErrorBox title="Could not load the history" error={history.error} /> : null}
      {history.fetching && !history.data ? <Loading what="the history" /> : null}
      {history.data ? (
        <>
          <p className="summary">{history.data.migrations.totalCount} ended moves</p>
          {rows.length ? (
            <MigrationTable rows={rows} label="history-title" />
          ) : (
            <p className="muted">None.</p>
          )}
          <Pager label="History pages" pages={pages} pageInfo={page} />
        </>
      ) : null}
    </>
  );
}

function MigrationTable(props: { rows: MigrationRow[]; label: string; showProgress?: boolean }) {
  return (
    <div className="table-wrap">
      <table aria-labelledby={props.label}>
        <thead>
          <tr>
            <th scope="col">VM</th>
            <th scope="col">From → to</th>
            <th scope="col">State</th>
            <th scope="col">{props.showProgress ? "Progress" : "Duration"}</th>
            <th scope="col">Requested</th>
            <th scope="col">
              <span className="sr-only">Actions and details</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((m) => (
            <tr key={m.id} data-migration={m.id} data-vm={m.vmName}>
              <th scope="row">
                {m.vmName} <span className="muted">{m.kind === "LIVE" ? "" : m.kind.toLowerCase()}</span>
              </th>
              <td>
                {m.sourceHost.name} → {m.destinationHost?.name ?? "(placement)"}
              </td>
              <td>
                <MigrationState m={m} />
              </td>
              <td className="memory">
                {props.showProgress ? <MigrationProgress m={m} /> : seconds(m.durationSeconds)}
              </td>
              <td>
                {dateTime(m.requestedAt)} <span className="muted">by {m.requestedBy}</span>
              </td>
              <td>
                <CancelButton m={m} />
                <MigrationFailure m={m} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
