// Cursor paging shared by every paged list (Host VMs, Migrations history, Audit): the cursors of the
// pages visited so far, so "Previous page" goes back without the API paging backwards.
import { useState } from "react";

export interface CursorPages {
  /** The `after` argument of the page shown (null: the first page). */
  after: string | null;
  /** 1-based number of the page shown. */
  number: number;
  /** Back to the first page (a new filter or search). */
  reset(): void;
  back(): void;
  next(endCursor: string | null | undefined): void;
}

export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1] ?? null,
    number: cursors.length,
    reset: () => setCursors([null]),
    back: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    next: (endCursor) => {
      if (endCursor) setCursors((c) => [...c, endCursor]);
    },
  };
}

/** Previous/next buttons for a connection's pageInfo. */
export function Pager({
  label,
  pages,
  pageInfo,
}: {
  label: string;
  pages: CursorPages;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="secondary" disabled={pages.number === 1} onClick={pages.back}>
        Previous page
      </button>
      <button
        type="button"
        className="secondary"
        disabled={!pageInfo?.hasNextPage}
        onClick={() => pages.next(pageInfo?.endCursor)}
      >
        Next page
      </button>
    </nav>
  );
}
