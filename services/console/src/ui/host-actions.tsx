// A host's configuration actions (ADMIN): enable/disable live migration, add/remove migration networks,
// change the migration settings. Each issues one HostOperation for the host; the operations list follows
// them live (hostOperationChanged) and the host page's hostChanged shows the result.
import { type FormEvent, useEffect, useState } from "react";
import { useMutation, useQuery, useSubscription } from "urql";
import { dateTime } from "../format.ts";
import { graphql } from "../graphql.ts";
import type { HostView } from "../pages/Host.tsx";
import { Badge, ErrorBox, Loading, type Tone } from "./status.tsx";

const OperationsOut = graphql(`
  fragment OperationsOut on HostOperationsPayload {
    operations {
      id
      kind
      status
    }
    errors {
      __typename
      message
      ... on ValidationError {
        field
      }
    }
  }
`);

const EnableMutation = graphql(
  `
  mutation EnableMigration($hosts: [ID!]!) {
    enableMigration(hosts: $hosts) {
      ...OperationsOut
    }
  }
`,
  [OperationsOut],
);
const DisableMutation = graphql(
  `
  mutation DisableMigration($hosts: [ID!]!) {
    disableMigration(hosts: $hosts) {
      ...OperationsOut
    }
  }
`,
  [OperationsOut],
);
const AddNetworkMutation = graphql(
  `
  mutation AddMigrationNetwork($input: AddMigrationNetworkInput!) {
    addMigrationNetwork(input: $input) {
      ...OperationsOut
    }
  }
`,
  [OperationsOut],
);
const RemoveNetworkMutation = graphql(
  `
  mutation RemoveMigrationNetwork($input: RemoveMigrationNetworkInput!) {
    removeMigrationNetwork(input: $input) {
      ...OperationsOut
    }
  }
`,
  [OperationsOut],
);
const SettingsMutation = graphql(
  `
  mutation UpdateMigrationSettings($input: UpdateMigrationSettingsInput!) {
    updateMigrationSettings(input: $input) {
      ...OperationsOut
    }
  }
`,
  [OperationsOut],
);

interface Outcome {
  fetching: boolean;
  error?: Error;
  errors?: readonly { message: string }[] | null;
}

function Result({ what, outcome }: { what: string; outcome: Outcome }) {
  if (outcome.error) return <ErrorBox title={`${what} failed`} error={outcome.error} />;
  if (outcome.errors?.length)
    return <ErrorBox title={`${what} refused`} error={outcome.errors.map((e) => e.message).join("; ")} />;
  return null;
}

export function HostActions({ host }: { host: HostView }) {
  const hosts = [host.id];
  const [enable, doEnable] = useMutation(EnableMutation);
  const [disable, doDisable] = useMutation(DisableMutation);
  const [add, doAdd] = useMutation(AddNetworkMutation);
  const [remove, doRemove] = useMutation(RemoveNetworkMutation);
  const [update, doUpdate] = useMutation(SettingsMutation);
  const [subnet, setSubnet] = useState("");
  const [priority, setPriority] = useState("");
  const s = host.migrationSettings;
  const [auth, setAuth] = useState(s.authenticationType);
  const [perf, setPerf] = useState(s.performanceOption);
  const [maxVm, setMaxVm] = useState(String(s.maximumVirtualMachineMigrations));
  const [maxStorage, setMaxStorage] = useState(String(s.maximumStorageMigrations));
  const [anyNetwork, setAnyNetwork] = useState(s.useAnyNetworkForMigration);

  const addNetwork = (e: FormEvent) => {
    e.preventDefault();
    void doAdd({
      input: { hosts, subnet: subnet.trim(), ...(priority.trim() ? { priority: Number(priority) } : {}) },
    });
  };
  const saveSettings = (e: FormEvent) => {
    e.preventDefault();
    void doUpdate({
      input: {
        hosts,
        authenticationType: auth,
        performanceOption: perf,
        maximumVirtualMachineMigrations: Number(maxVm),
        maximumStorageMigrations: Number(maxStorage),
        useAnyNetworkForMigration: anyNetwork,
      },
    });
  };

  return (
    <section className="card" aria-labelledby="actions-title" data-actions>
      <h3 id="actions-title">Change the configuration (ADMIN)</h3>
      <p>
        {s.enabled ? (
          <button
            type="button"
            className="danger"
            disabled={disable.fetching}
            onClick={() => void doDisable({ hosts })}
          >
            Disable live migration
          </button>
        ) : (
          <button type="button" disabled={enable.fetching} onClick={() => void doEnable({ hosts })}>
            Enable live migration
          </button>
        )}
      </p>
      <Result what="Enable" outcome={{ ...enable, errors: enable.data?.enableMigration.errors }} />
      <Result what="Disable" outcome={{ ...disable, errors: disable.data?.disableMigration.errors }} />

      <h4>Migration networks</h4>
      {s.networks.length ? (
        <ul className="networks">
          {s.networks.map((n) => (
            <li key={n.subnet}>
              {n.subnet} {n.priority !== null ? <span className="muted">priority {n.priority}</span> : null}{" "}
              <button
                type="button"
                className="secondary"
                disabled={remove.fetching}
                aria-label={`Remove network ${n.subnet}`}
                onClick={() => void doRemove({ input: { hosts, subnet: n.subnet } })}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">No migration network.</p>
      )}
      <Result
        what="Removing the network"
        outcome={{ ...remove, errors: remove.data?.removeMigrationNetwork.errors }}
      />
      <form className="filters" onSubmit={addNetwork} aria-label="Add a migration network">
        <label>
          Subnet (CIDR)
          <input
            value={subnet}
            onChange={(e) => setSubnet(e.target.value)}
            placeholder="10.0.1.0/24"
            required
          />
        </label>
        <label>
          Priority
          <input type="number" min={0} value={priority} onChange={(e) => setPriority(e.target.value)} />
        </label>
        <button type="submit" disabled={add.fetching || subnet.trim() === ""}>
          Add network
        </button>
      </form>
      <Result what="Adding the network" outcome={{ ...add, errors: add.data?.addMigrationNetwork.errors }} />

      <h4>Settings</h4>
      <form className="filters" onSubmit={saveSettings} aria-label="Migration settings">
        <label>
          Authentication
          <select value={auth} onChange={(e) => setAuth(e.target.value as typeof auth)}>
            <option value="KERBEROS">KERBEROS</option>
            <option value="CREDSSP">CREDSSP</option>
          </select>
        </label>
        <label>
          Performance option
          <select value={perf} onChange={(e) => setPerf(e.target.value as typeof perf)}>
            <option value="TCPIP">TCPIP</option>
            <option value="COMPRESSION">COMPRESSION</option>
            <option value="SMB">SMB</option>
          </select>
        </label>
        <label>
          Live migrations at once
          <input type="number" min={1} value={maxVm} onChange={(e) => setMaxVm(e.target.value)} required />
        </label>
        <label>
          Storage migrations at once
          <input
            type="number"
            min={1}
            value={maxStorage}
            onChange={(e) => setMaxStorage(e.target.value)}
            required
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={anyNetwork} onChange={(e) => setAnyNetwork(e.target.checked)} /> Use
          any network
        </label>
        <button type="submit" disabled={update.fetching}>
          Save settings
        </button>
      </form>
      <Result
        what="Saving the settings"
        outcome={{ ...update, errors: update.data?.updateMigrationSettings.errors }}
      />
    </section>
  );
}

const OperationFields = graphql(`
  fragment OperationFields on HostOperation {
    id
    kind
    status
    requestedBy
    createdAt
    errorCode
    errorMessage
  }
`);

const OperationsQuery = graphql(
  `
  query HostOperationsList($host: ID!) {
    hostOperations(host: $host, first: 5) {
      edges {
        node {
          ...OperationFields
        }
      }
    }
  }
`,
  [OperationFields],
);

const OperationsLive = graphql(
  `
  subscription HostOperationsLive($host: ID!) {
    hostOperationChanged(host: $host) {
      ...OperationFields
    }
  }
`,
  [OperationFields],
);

function opTone(status: string): Tone {
  return status === "SUCCEEDED"
    ? "ok"
    : status === "FAILED"
      ? "bad"
      : status === "EXPIRED"
        ? "muted"
        : "info";
}

/** The host's latest configuration operations, live. */
export function HostOperations({ host }: { host: string }) {
  const [ops, refetch] = useQuery({ query: OperationsQuery, variables: { host } });
  const [{ data: changed }] = useSubscription({ query: OperationsLive, variables: { host } });
  useEffect(() => {
    if (changed) refetch({ requestPolicy: "network-only" });
  }, [changed, refetch]);
  const rows = (ops.data?.hostOperations.edges ?? []).map((e) =>
    changed && changed.hostOperationChanged.id === e.node.id ? changed.hostOperationChanged : e.node,
  );
  return (
    <>
      <h3 id="ops-title">Recent configuration operations</h3>
      {ops.error ? <ErrorBox title="Could not load the operations" error={ops.error} /> : null}
      {ops.fetching && !ops.data ? <Loading what="operations" /> : null}
      {ops.data && rows.length === 0 ? <p className="muted">None yet.</p> : null}
      {rows.length ? (
        <ul className="operations" aria-labelledby="ops-title">
          {rows.map((o) => (
            <li key={o.id} data-operation={o.kind}>
              <Badge tone={opTone(o.status)}>{o.status}</Badge> {o.kind}{" "}
              <span className="muted">
                {dateTime(o.createdAt)} by {o.requestedBy}
              </span>
              {o.errorCode ? (
                <span className="error-text">
                  {" "}
                  {o.errorCode}: {o.errorMessage}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
