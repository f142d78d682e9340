// A migration as the console shows it: one fragment for every page, its progress bar, its failure.
import { useMutation } from "urql";
import { bytes, dateTime, seconds } from "../format.ts";
import { graphql, type ResultOf } from "../graphql.ts";
import { useCan } from "../viewer.tsx";
import { Badge, Bar, ErrorBox, type Tone } from "./status.tsx";

export const MigrationFields = graphql(`
  fragment MigrationFields on Migration {
    id
    vmName
    kind
    state
    percentComplete
    queuePosition
    scheduled
    notBefore
    requestedAt
    requestedBy
    startedAt
    finishedAt
    durationSeconds
    estimatedSecondsRemaining
    rateBytesPerSecondEstimate
    sourceHost {
      id
      name
    }
    destinationHost {
      id
      name
    }
    failure {
      code
      message
      eventId
      diagnosis
      remedy
    }
  }
`);

export type MigrationRow = ResultOf<typeof MigrationFields>;

export const ACTIVE_STATES = ["QUEUED", "STARTING", "RUNNING", "CANCELLING"];

export function stateTone(state: string): Tone {
  switch (state) {
    case "SUCCEEDED":
      return "ok";
    case "FAILED":
      return "bad";
    case "CANCELLED":
    case "CANCELLING":
      return "muted";
    default:
      return "info";
  }
}

export function MigrationState({ m }: { m: MigrationRow }) {
  return (
    <Badge tone={stateTone(m.state)}>
      {m.state}
      {m.state === "QUEUED" && m.queuePosition !== null ? ` #${m.queuePosition}` : ""}
      {m.scheduled && m.notBefore ? `, not before ${dateTime(m.notBefore)}` : ""}
    </Badge>
  );
}

export function MigrationProgress({ m }: { m: MigrationRow }) {
  const eta =
    m.state === "RUNNING" && m.estimatedSecondsRemaining !== null
      ? `, about ${seconds(m.estimatedSecondsRemaining)} left`
      : "";
  const rate = m.rateBytesPerSecondEstimate ? ` at ${bytes(m.rateBytesPerSecondEstimate)}/s` : "";
  return (
    <Bar
      label={`Progress of ${m.vmName}`}
      value={m.percentComplete}
      tone={stateTone(m.state) === "bad" ? "bad" : m.state === "SUCCEEDED" ? "ok" : "info"}
      text={`${m.percentComplete} %${eta}${rate}`}
    />
  );
}

export function MigrationFailure({ m }: { m: MigrationRow }) {
  if (!m.failure) return null;
  return (
    <details className="failure">
      <summary>
        Diagnosis of {m.vmName}: {m.failure.code}
      </summary>
      <dl className="facts">
        <dt>Code</dt>
        <dd>{m.failure.code}</dd>
        <dt>Message</dt>
        <dd>{m.failure.message}</dd>
        <dt>Event id</dt>
        <dd>{m.failure.eventId ?? "–"}</dd>
        <dt>Diagnosis</dt>
        <dd>{m.failure.diagnosis}</dd>
        <dt>Remedy</dt>
        <dd>{m.failure.remedy}</dd>
      </dl>
    </details>
  );
}

const CancelMutation = graphql(`
  mutation CancelMigration($id: ID!) {
    cancelMigration(id: $id) {
      migration {
        id
        state
      }
      errors {
        message
      }
    }
  }
`);

/** Cancel, for OPERATOR and ADMIN only, while the move can still be cancelled. */
export function CancelButton({ m }: { m: MigrationRow }) {
  const can = useCan("OPERATOR");
  const [{ fetching, data, error }, cancel] = useMutation(CancelMutation);
  if (!can || !["QUEUED", "STARTING", "RUNNING"].includes(m.state)) return null;
  const refused = data?.cancelMigration.errors?.map((e) => e.message).join("; ");
  return (
    <>
      <button
        type="button"
        className="danger"
        disabled={fetching}
        aria-label={`Cancel the move of ${m.vmName}`}
        onClick={() => void cancel({ id: m.id })}
      >
        Cancel
      </button>
      {error ? <ErrorBox title="Cancel failed" error={error} /> : null}
      {refused ? <ErrorBox title="Cancel refused" error={refused} /> : null}
    </>
  );
}
