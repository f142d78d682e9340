// A table of checks (readiness, preflight, placement options): name, status with its Hyper-V error
// code when there is one, what was found and the remedy.
import { Badge, checkTone } from "./status.tsx";

export interface CheckRow {
  name: string;
  status: string;
  message: string;
  remedy?: string | null;
  code?: string | null;
}

export function ChecksTable({
  checks,
  caption,
  labelledBy,
  className,
}: {
  checks: readonly CheckRow[];
  /** Read by screen readers only; use labelledBy when a visible heading names the table. */
  caption?: string;
  labelledBy?: string;
  className?: string;
}) {
  return (
    <div className="table-wrap">
      <table aria-labelledby={labelledBy} className={className}>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Status</th>
            <th scope="col">What was found</th>
            <th scope="col">Remedy</th>
          </tr>
        </thead>
        <tbody>
          {checks.map((c) => (
            <tr key={c.name} data-check={c.name}>
              <th scope="row">{c.name}</th>
              <td>
                <Badge tone={checkTone(c.status)}>{c.status}</Badge>
                {c.code ? <span className="muted"> {c.code}</span> : null}
              </td>
              <td>{c.message}</td>
              <td>{c.remedy ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
