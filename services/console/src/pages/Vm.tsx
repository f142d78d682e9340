// A VM: its facts, a preflight to a chosen host (migrationPreflight: every check with its remedy, nothing
// started), its migrations, and the way to the Move page.
import { type FormEvent, useState } from "react";
import { useQuery } from "urql";
import { bytes, dateTime, seconds } from "../format.ts";
import { graphql } from "../graphql.ts";
import { Link, useLocation } from "../router.tsx";
import { ChecksTable } from "../ui/checks-table.tsx";
import { MigrationFailure, MigrationFields, MigrationState } from "../ui/migration.tsx";
import { Badge, ErrorBox, Loading } from "../ui/status.tsx";

const VmQuery = graphql(
  `
  query VmPage($id: ID!) {
    node(id: $id) {
      ... on VirtualMachine {
        id
        name
        vmId
        state
        status
        generation
        configurationVersion
        memoryAssignedBytes
        memoryStartupBytes
        cpuUsage
        uptimeSeconds
        isClustered
        processorCompatibilityForMigration
        switchNames
        path
        hardDrives {
          path
          sizeBytes
        }
        host {
          id
          name
        }
        migrations(first: 10) {
          edges {
            node {
              ...MigrationFields
            }
          }
        }
      }
    }
    hosts(first: 500) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`,
  [MigrationFields],
);

const PreflightQuery = graphql(`
  query VmPreflight($input: MoveVmInput!) {
    migrationPreflight(input: $input) {
      ok
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

export function Vm() {
  const { query } = useLocation();
  const id = query.get("id") ?? "";
  const [{ data, fetching, error }] = useQuery({ query: VmQuery, variables: { id } });
  const vm = data?.node && "vmId" in data.node ? data.node : null;
  return (
    <section aria-labelledby="vm-title">
      {vm ? (
        <p>
          <Link to={`/host?name=${encodeURIComponent(vm.host.name)}`}>← Host {vm.host.name}</Link>
        </p>
      ) : null}
      <h1 id="vm-title">VM {vm?.name ?? ""}</h1>
      {error ? <ErrorBox title="Could not load the VM" error={error} /> : null}
      {fetching && !data ? <Loading what="the VM" /> : null}
      {data && !vm ? <ErrorBox title="No such VM" error="It may have been removed from its host." /> : null}
      {vm ? (
        <>
          <dl className="facts" data-vm-facts>
            <dt>Host</dt>
            <dd>{vm.host.name}</dd>
            <dt>State</dt>
            <dd>
              {vm.state} <span className="muted">{vm.status ?? ""}</span>
            </dd>
            <dt>Memory</dt>
            <dd>
              {bytes(vm.memoryAssignedBytes)} assigned, {bytes(vm.memoryStartupBytes)} at startup
            </dd>
            <dt>CPU</dt>
            <dd>
              {vm.cpuUsage} %, processor compatibility {vm.processorCompatibilityForMigration ? "on" : "off"}
            </dd>
            <dt>Version</dt>
            <dd>
              {vm.configurationVersion}, generation {vm.generation}
              {vm.isClustered ? ", clustered" : ""}
            </dd>
            <dt>Up for</dt>
            <dd>{seconds(vm.uptimeSeconds)}</dd>
            <dt>Switches</dt>
            <dd>{vm.switchNames.join(", ") || "none"}</dd>
            <dt>Files</dt>
            <dd>{vm.path}</dd>
            <dt>Disks</dt>
            <dd>{vm.hardDrives.map((d) => `${d.path} (${bytes(d.sizeBytes)})`).join(", ") || "none"}</dd>
            <dt>Hyper-V id</dt>
            <dd>{vm.vmId}</dd>
          </dl>
          <p>
            <Link to={`/move?vm=${encodeURIComponent(vm.name)}`}>Move {vm.name}…</Link>
          </p>
          <Preflight
            vm={vm.id}
            name={vm.name}
            hosts={(data?.hosts.edges ?? []).map((e) => e.node).filter((h) => h.id !== vm.host.id)}
          />
          <h2 id="vm-migrations-title">Its migrations</h2>
          {vm.migrations.edges.length === 0 ? <p className="muted">None.</p> : null}
          <ul className="history" aria-labelledby="vm-migrations-title">
            {vm.migrations.edges.map(({ node: m }) => (
              <li key={m.id}>
                {dateTime(m.requestedAt)}: {m.sourceHost.name} → {m.destinationHost?.name ?? "(placement)"}{" "}
                <MigrationState m={m} /> <MigrationFailure m={m} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function Preflight(props: { vm: string; name: string; hosts: { id: string; name: string }[] }) {
  const [destination, setDestination] = useState(props.hosts[0]?.id ?? "");
  const [asked, setAsked] = useState<string | null>(null);
  const [report] = useQuery({
    query: PreflightQuery,
    variables: { input: { vm: props.vm, destinationHost: asked ?? "" } },
    pause: asked === null,
    requestPolicy: "network-only",
  });
  const run = (e: FormEvent) => {
    e.preventDefault();
    setAsked(destination);
  };
  const r = report.data?.migrationPreflight;
  const target = props.hosts.find((h) => h.id === asked)?.name;
  return (
    <>
      <h2 id="preflight-title">Preflight</h2>
      <form className="filters" onSubmit={run} aria-label="Preflight">
        <label>
          Destination host
          <select value={destination} onChange={(e) => setDestination(e.target.value)}>
            {props.hosts.map((h) => (
              <option key={h.id} value={h.id}>
                {h.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!destination}>
          Run preflight
        </button>
      </form>
      {report.error ? <ErrorBox title="Preflight failed" error={report.error} /> : null}
      {asked && report.fetching ? <Loading what="the preflight" /> : null}
      {r && !report.fetching ? (
        <div className="card" data-preflight={target} aria-live="polite">
          <h3>
            {props.name} → {target}:{" "}
            {r.ok ? <Badge tone="ok">can move</Badge> : <Badge tone="bad">blocked</Badge>}
          </h3>
          <ChecksTable checks={r.checks} caption="Preflight checks" />
        </div>
      ) : null}
    </>
  );
}
