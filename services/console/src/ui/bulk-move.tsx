// Bulk move (OPERATOR and ADMIN): the VMs ticked on the Move page, to one host or spread by placement, in one
// moveVms call; one result per VM (its queued migration followed live, or why it was refused).
import { type FormEvent, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "../graphql.ts";
import { MigrationFields, MigrationProgress, MigrationState } from "./migration.tsx";
import { ErrorBox } from "./status.tsx";

const HostsQuery = graphql(`
  query BulkHosts {
    hosts(first: 500) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);

const MoveVms = graphql(
  `
  mutation MoveVms($input: MoveVmsInput!) {
    moveVms(input: $input) {
      results {
        index
        vm
        migration {
          ...MigrationFields
        }
        errors {
          __typename
          message
        }
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
  subscription BulkProgress($id: ID!) {
    migrationProgress(id: $id) {
      ...MigrationFields
    }
  }
`,
  [MigrationFields],
);

export interface Selected {
  id: string;
  name: string;
}

export function BulkMove({ selected, onClear }: { selected: Selected[]; onClear: () => void }) {
  const [hosts] = useQuery({ query: HostsQuery });
  const [destination, setDestination] = useState("");
  const [atomic, setAtomic] = useState(false);
  const [sent, setSent] = useState<Selected[]>([]);
  const [move, doMove] = useMutation(MoveVms);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSent(selected);
    void doMove({
      input: {
        atomic,
        moves: selected.map((vm) => ({
          vm: vm.id,
          ...(destination ? { destinationHost: destination } : {}),
        })),
      },
    });
  };
  const payload = move.data?.moveVms;
  return (
    <section className="card" aria-labelledby="bulk-title" data-bulk>
      <h2 id="bulk-title">Bulk move</h2>
      <p className="muted">
        {selected.length
          ? `Selected: ${selected.map((v) => v.name).join(", ")}`
          : "Tick VMs above to move them together."}
      </p>
      <form className="filters" onSubmit={submit} aria-label="Bulk move">
        <label>
          Destination
          <select value={destination} onChange={(e) => setDestination(e.target.value)}>
            <option value="">where placement chooses (spread)</option>
            {(hosts.data?.hosts.edges ?? []).map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={atomic} onChange={(e) => setAtomic(e.target.checked)} /> All or none
        </label>
        <button type="submit" disabled={selected.length === 0 || move.fetching}>
          Move {selected.length} selected VMs
        </button>
        <button type="button" className="secondary" disabled={selected.length === 0} onClick={onClear}>
          Clear the selection
        </button>
      </form>
      {move.error ? <ErrorBox title="The bulk move failed" error={move.error} /> : null}
      {payload?.errors?.length ? (
        <ErrorBox title="The bulk move was refused" error={payload.errors.map((e) => e.message).join("; ")} />
      ) : null}
      {payload?.results?.length ? (
        <div className="table-wrap">
          <table>
            <caption>One result per VM</caption>
            <thead>
              <tr>
                <th scope="col">VM</th>
                <th scope="col">Result</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {payload.results.map((r) => (
                <tr key={r.index} data-result={sent[r.index]?.name}>
                  <th scope="row">{sent[r.index]?.name ?? r.vm}</th>
                  {r.migration ? (
                    <LiveResult id={r.migration.id} />
                  ) : (
                    <>
                      <td>
                        <span className="error-text">
                          Refused: {r.errors?.map((e) => e.message).join("; ")}
                        </span>
                      </td>
                      <td />
                    </>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function LiveResult({ id }: { id: string }) {
  const [{ data, error }] = useSubscription({ query: Progress, variables: { id } });
  const m = data?.migrationProgress;
  if (error)
    return (
      <td colSpan={2}>
        <ErrorBox title="Live progress stopped" error={error} />
      </td>
    );
  if (!m) return <td colSpan={2}>Queued…</td>;
  return (
    <>
      <td>
        to {m.destinationHost?.name ?? "(placement)"} <MigrationState m={m} />
      </td>
      <td className="memory">
        <MigrationProgress m={m} />
      </td>
    </>
  );
}
