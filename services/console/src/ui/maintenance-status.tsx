// A maintenance as it goes (maintenanceChanged with its id): state, drain or return progress, the moves,
// the VMs that cannot leave; End (with the VMs' return, or without) and Cancel for OPERATOR and ADMIN.
import { useEffect, useRef } from "react";
import { useMutation, useSubscription } from "urql";
import { seconds } from "../format.ts";
import { graphql } from "../graphql.ts";
import { useCan } from "../viewer.tsx";
import { MigrationFields, MigrationProgress, MigrationState } from "./migration.tsx";
import { Badge, Bar, ErrorBox, Loading } from "./status.tsx";

const Live = graphql(
  `
  subscription MaintenanceLive($id: ID!) {
    maintenanceChanged(id: $id) {
      id
      state
      percentComplete
      movedCount
      totalCount
      returnedCount
      returnCount
      returnVms
      estimatedSecondsRemaining
      failureMessage
      host {
        id
        name
      }
      unmovable {
        vmName
        action
        actionStatus
        actionMessage
      }
      migrations(first: 100) {
        edges {
          node {
            ...MigrationFields
          }
        }
      }
    }
  }
`,
  [MigrationFields],
);

const EndMutation = graphql(`
  mutation EndMaintenance($input: EndMaintenanceInput!) {
    endMaintenance(input: $input) {
      maintenance {
        id
        state
      }
      errors {
        message
      }
    }
  }
`);

const CancelMutation = graphql(`
  mutation CancelMaintenance($id: ID!) {
    cancelMaintenance(id: $id) {
      maintenance {
        id
        state
      }
      errors {
        message
      }
    }
  }
`);

const OVER = ["ENDED", "FAILED", "CANCELLED"];

export function MaintenanceStatus({ id, onEnded }: { id: string; onEnded: (id: string) => void }) {
  const can = useCan("OPERATOR");
  const [{ data, error }] = useSubscription({ query: Live, variables: { id } });
  const [end, doEnd] = useMutation(EndMutation);
  const [cancel, doCancel] = useMutation(CancelMutation);
  const m = data?.maintenanceChanged;
  const over = m ? OVER.includes(m.state) : false;
  // Told once: the parent refetches, which must not re-trigger this.
  const told = useRef(false);
  useEffect(() => {
    if (over && !told.current) {
      told.current = true;
      onEnded(id);
    }
  }, [over, id, onEnded]);
  if (error) return <ErrorBox title="Live maintenance updates stopped" error={error} />;
  if (!m) return <Loading what="the maintenance" />;
  const returning = m.state === "RETURNING" || (m.state === "ENDED" && m.returnVms);
  const refused = [end.data?.endMaintenance.errors, cancel.data?.cancelMaintenance.errors]
    .flatMap((e) => e ?? [])
    .map((e) => e.message)
    .join("; ");
  return (
    <section
      className="card"
      aria-labelledby="status-title"
      aria-live="polite"
      data-maintenance-state={m.state}
    >
      <h2 id="status-title">
        Maintenance of {m.host.name}:{" "}
        <Badge tone={m.state === "FAILED" ? "bad" : over ? "muted" : "warn"}>{m.state}</Badge>
      </h2>
      <Bar
        label={returning ? `Return to ${m.host.name}` : `Drain of ${m.host.name}`}
        value={m.percentComplete}
        tone={m.state === "FAILED" ? "bad" : m.percentComplete === 100 ? "ok" : "info"}
        text={
          returning
            ? `${m.percentComplete} %: ${m.returnedCount} of ${m.returnCount} VMs back`
            : `${m.percentComplete} %: ${m.movedCount} of ${m.totalCount} VMs moved`
        }
      />
      <p className="muted">
        {m.estimatedSecondsRemaining !== null ? `About ${seconds(m.estimatedSecondsRemaining)} left. ` : ""}
        {m.failureMessage ?? ""}
      </p>
      {can && !over ? (
        <p className="actions">
          {m.state === "IN_MAINTENANCE" ? (
            <>
              <button
                type="button"
                disabled={end.fetching}
                onClick={() => void doEnd({ input: { host: m.host.id, returnVms: true } })}
              >
                End maintenance and bring the VMs back
              </button>{" "}
              <button
                type="button"
                className="secondary"
                disabled={end.fetching}
                onClick={() => void doEnd({ input: { host: m.host.id, returnVms: false } })}
              >
                End maintenance, VMs stay
              </button>
            </>
          ) : (
            <button
              type="button"
              className="danger"
              disabled={cancel.fetching}
              onClick={() => void doCancel({ id: m.id })}
            >
              Cancel maintenance
            </button>
          )}
        </p>
      ) : null}
      {end.error ? <ErrorBox title="Could not end the maintenance" error={end.error} /> : null}
      {cancel.error ? <ErrorBox title="Could not cancel the maintenance" error={cancel.error} /> : null}
      {refused ? <ErrorBox title="Refused" error={refused} /> : null}
      {m.unmovable.length ? (
        <>
          <h3>Cannot leave</h3>
          <ul className="checks">
            {m.unmovable.map((u) => (
              <li key={u.vmName}>
                <strong>{u.vmName}</strong>: {u.action} ({u.actionStatus}) {u.actionMessage ?? ""}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {m.migrations.edges.length ? (
        <div className="table-wrap">
          <table>
            <caption>Its moves</caption>
            <thead>
              <tr>
                <th scope="col">VM</th>
                <th scope="col">From → to</th>
                <th scope="col">State</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {m.migrations.edges.map(({ node }) => (
                <tr key={node.id} data-vm={node.vmName}>
                  <th scope="row">{node.vmName}</th>
                  <td>
                    {node.sourceHost.name} → {node.destinationHost?.name ?? "(placement)"}
                  </td>
                  <td>
                    <MigrationState m={node} />
                  </td>
                  <td className="memory">
                    <MigrationProgress m={node} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
