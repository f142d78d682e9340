// Audit (ADMIN): the audit log newest first (auditLog), filtered by actor, operation, outcome, kind and time,
// paged by cursor; exports of a time range as CSV or JSON lines (GET /export/audit.csv|.jsonl).
import { type FormEvent, useState } from "react";
import { useQuery } from "urql";
import { dateTime } from "../format.ts";
import { graphql } from "../graphql.ts";
import { ExportLinks } from "../ui/export-links.tsx";
import { Pager, useCursorPages } from "../ui/pager.tsx";
import { Badge, ErrorBox, Loading, PageHead } from "../ui/status.tsx";

const AuditQuery = graphql(`
  query AuditLog($filter: AuditFilter, $after: String) {
    auditLog(first: 25, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          at
          kind
          actor
          role
          operation
          target
          outcome
          errorCode
          errorMessage
          requestId
          input
        }
      }
    }
  }
`);

type Outcome = "SUCCEEDED" | "FAILED" | "DENIED";
type Kind = "MUTATION" | "COMMAND";

interface Filter {
  actor: string;
  operation: string;
  outcome: Outcome | "";
  kind: Kind | "";
  from: string;
  to: string;
}

const EMPTY: Filter = { actor: "", operation: "", outcome: "", kind: "", from: "", to: "" };

/** A datetime-local value (the browser's time zone) as an ISO instant; null when empty. */
function instant(local: string): string | null {
  return local ? new Date(local).toISOString() : null;
}

export function Audit() {
  const [draft, setDraft] = useState<Filter>(EMPTY);
  const [filter, setFilter] = useState<Filter>(EMPTY);
  const pages = useCursorPages();
  const variables = {
    filter: {
      ...(filter.actor ? { actor: filter.actor } : {}),
      ...(filter.operation ? { operation: filter.operation } : {}),
      ...(filter.outcome ? { outcome: filter.outcome } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.from ? { from: instant(filter.from) } : {}),
      ...(filter.to ? { to: instant(filter.to) } : {}),
    },
    after: pages.after,
  };
  const [log, refetch] = useQuery({ query: AuditQuery, variables });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft);
    pages.reset();
  };
  const set = (field: keyof Filter) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [field]: e.target.value }));
  const page = log.data?.auditLog.pageInfo;
  return (
    <section aria-labelledby="audit-title">
      <PageHead id="audit-title" title="Audit" onRefresh={() => refetch({ requestPolicy: "network-only" })} />
      <form className="filters" aria-label="Filter the audit log" onSubmit={apply}>
        <label>
          Actor (exact)
          <input value={draft.actor} onChange={set("actor")} placeholder="token:admin" />
        </label>
        <label>
          Operation (exact)
          <input value={draft.operation} onChange={set("operation")} placeholder="moveVm" />
        </label>
        <label>
          Outcome
          <select value={draft.outcome} onChange={set("outcome")}>
            <option value="">any</option>
            <option value="SUCCEEDED">SUCCEEDED</option>
            <option value="FAILED">FAILED</option>
            <option value="DENIED">DENIED</option>
          </select>
        </label>
        <label>
          Kind
          <select value={draft.kind} onChange={set("kind")}>
            <option value="">any</option>
            <option value="MUTATION">MUTATION</option>
            <option value="COMMAND">COMMAND</option>
          </select>
        </label>
        <label>
          From
          <input type="datetime-local" value={draft.from} onChange={set("from")} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.to} onChange={set("to")} />
        </label>
        <button type="submit">Apply</button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setDraft(EMPTY);
            setFilter(EMPTY);
            pages.reset();
          }}
        >
          Clear
        </button>
      </form>
      <ExportLinks from={instant(filter.from)} to={instant(filter.to)} />
      {log.error ? <ErrorBox title="Could not load the audit log" error={log.error} /> : null}
      {log.fetching && !log.data ? <Loading what="the audit log" /> : null}
      {log.data ? (
        <>
          <p className="summary" data-audit-count>
            {log.data.auditLog.totalCount} entries, page {pages.number}
          </p>
          <div className="table-wrap">
            <table aria-labelledby="audit-title" className="audit">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {log.data.auditLog.edges.map(({ node: a }) => (
                  <tr key={a.id} data-audit={a.id} data-operation={a.operation}>
                    <td>{dateTime(a.at)}</td>
                    <td>
                      {a.actor} <span className="muted">{a.role ?? ""}</span>
                    </td>
                    <th scope="row">
                      {a.operation} <span className="muted">{a.kind === "COMMAND" ? "command" : ""}</span>
                    </th>
                    <td className="wrap">{a.target ?? "–"}</td>
                    <td>
                      <Badge
                        tone={a.outcome === "SUCCEEDED" ? "ok" : a.outcome === "DENIED" ? "warn" : "bad"}
                      >
                        {a.outcome}
                      </Badge>
                      {a.errorCode ? <div className="muted">{a.errorCode}</div> : null}
                    </td>
                    <td>
                      <details>
                        <summary>
                          Entry {a.id}
                          <span className="sr-only">: {a.operation}</span>
                        </summary>
                        <dl className="facts">
                          {a.errorMessage ? (
                            <>
                              <dt>Error</dt>
                              <dd>{a.errorMessage}</dd>
                            </>
                          ) : null}
                          <dt>Request id</dt>
                          <dd>{a.requestId ?? "–"}</dd>
                          <dt>Input</dt>
                          <dd>
                            <pre>{JSON.stringify(a.input, null, 2)}</pre>
                          </dd>
                        </dl>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Audit pages" pages={pages} pageInfo={page} />
        </>
      ) : null}
    </section>
  );
}
