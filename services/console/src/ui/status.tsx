// Shared pieces: loading and error states, badges, bars.
import type { CombinedError } from "@urql/core";
import type { ReactNode } from "react";

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, title }: { error: CombinedError | Error | string; title?: string }) {
  const message =
    typeof error === "string"
      ? error
      : "graphQLErrors" in error && error.graphQLErrors.length
        ? error.graphQLErrors.map((e) => e.message).join("; ")
        : error.message;
  return (
    <div className="error" role="alert">
      <strong>{title ?? "Something went wrong"}</strong>
      <p>{message}</p>
    </div>
  );
}

export type Tone = "ok" | "warn" | "bad" | "info" | "muted";

export function Badge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function checkTone(status: string): Tone {
  return status === "PASS" ? "ok" : status === "WARN" ? "warn" : "bad";
}

/** A labelled progress bar (role=progressbar, so screen readers and tests read its value). */
export function Bar(props: { value: number; label: string; tone?: Tone; text?: string }) {
  const value = Math.max(0, Math.min(100, Math.round(props.value)));
  return (
    <div
      className={`bar bar-${props.tone ?? "info"}`}
      role="progressbar"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      aria-valuetext={props.text ?? `${value} %`}
    >
      <div className="bar-fill" style={{ width: `${value}%` }} />
      <span className="bar-text">{props.text ?? `${value} %`}</span>
    </div>
  );
}

/** A page's heading with its Refresh button (re-reads the page's query from the network). */
export function PageHead({
  id,
  title,
  onRefresh,
  primary = false,
}: {
  id: string;
  title: string;
  onRefresh: () => void;
  /** The page's main action (Fleet); elsewhere Refresh is secondary. */
  primary?: boolean;
}) {
  return (
    <div className="page-head">
      <h1 id={id}>{title}</h1>
      <button type="button" className={primary ? undefined : "secondary"} onClick={onRefresh}>
        Refresh
      </button>
    </div>
  );
}
