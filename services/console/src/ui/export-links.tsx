// Export links for the audit log: GET /export/audit.csv|.jsonl?from=&to= needs the token as a bearer header,
// which a plain link cannot send, so each link fetches the export with it and saves the answer as a file.
// The curl command beside them does the same from a shell.
import { type MouseEvent, useState } from "react";
import { session } from "../session.ts";
import { ErrorBox } from "./status.tsx";

function exportPath(format: "csv" | "jsonl", from: string | null, to: string | null): string {
  const query = new URLSearchParams();
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  const q = query.toString();
  return `/export/audit.${format}${q ? `?${q}` : ""}`;
}

export function ExportLinks({ from, to }: { from: string | null; to: string | null }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const download = async (event: MouseEvent<HTMLAnchorElement>, format: "csv" | "jsonl") => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(exportPath(format, from, to), {
        headers: { authorization: `Bearer ${session.token() ?? ""}` },
      });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const url = URL.createObjectURL(await response.blob());
      const a = document.createElement("a");
      a.href = url;
      a.download = `ferry-audit.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError(`The export failed: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const range = from || to ? "the chosen time range" : "everything";
  return (
    <div className="exports" aria-busy={busy}>
      <p>
        Export {range} (time filters only):{" "}
        <a href={exportPath("csv", from, to)} onClick={(e) => void download(e, "csv")}>
          CSV
        </a>{" "}
        ·{" "}
        <a href={exportPath("jsonl", from, to)} onClick={(e) => void download(e, "jsonl")}>
          JSON lines
        </a>
      </p>
      <p className="muted">
        From a shell:{" "}
        <code>
          curl -H "authorization: Bearer $TOKEN" "{window.location.origin}
          {exportPath("csv", from, to)}" -o audit.csv
        </code>
      </p>
      {error ? <ErrorBox title="Export failed" error={error} /> : null}
    </div>
  );
}
