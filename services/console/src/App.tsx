// The shell: sign-in until a token is accepted, then the navigation and the page for the path.
import { type JSX, useCallback, useEffect, useState } from "react";
import { Provider } from "urql";
import { type ConsoleClient, createConsoleClient } from "./client.ts";
import { graphql } from "./graphql.ts";
import { Audit } from "./pages/Audit.tsx";
import { Fleet } from "./pages/Fleet.tsx";
import { Host } from "./pages/Host.tsx";
import { Maintenance } from "./pages/Maintenance.tsx";
import { Migrations } from "./pages/Migrations.tsx";
import { Move } from "./pages/Move.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { Vm } from "./pages/Vm.tsx";
import { Link, RouterProvider, useLocation } from "./router.tsx";
import { session } from "./session.ts";
import { Loading } from "./ui/status.tsx";
import { type Viewer, ViewerContext } from "./viewer.tsx";

const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      name
      role
    }
  }
`);

interface Signed {
  console: ConsoleClient;
  viewer: Viewer;
}

/** Checks a token with `viewer`; the error to show when the API refuses it. */
async function signIn(token: string): Promise<Signed | string> {
  const consoleClient = createConsoleClient(token);
  const result = await consoleClient.client
    .query(ViewerQuery, {}, { requestPolicy: "network-only" })
    .toPromise();
  if (result.data?.viewer && result.data.viewer.role !== "AGENT") {
    return { console: consoleClient, viewer: result.data.viewer };
  }
  consoleClient.dispose();
  if (result.data?.viewer) return "That is an agent's credential; sign in with an API token.";
  const code = result.error?.graphQLErrors[0]?.extensions?.code;
  if (code === "UNAUTHENTICATED" || result.error?.response?.status === 401)
    return "The API refused this token.";
  return `Could not reach the API: ${result.error?.message ?? "no answer"}`;
}

export function App() {
  const [signed, setSigned] = useState<Signed | null>(null);
  const [restoring, setRestoring] = useState(() => session.token() !== null);
  const [restoreError, setRestoreError] = useState<string | null>(null);

  const accept = useCallback(async (token: string) => {
    const outcome = await signIn(token);
    if (typeof outcome === "string") return outcome;
    session.save(token);
    setSigned(outcome);
    return null;
  }, []);

  useEffect(() => {
    const token = session.token();
    if (!token) return;
    void signIn(token).then((outcome) => {
      if (typeof outcome === "string") {
        session.clear();
        setRestoreError(outcome);
      } else setSigned(outcome);
      setRestoring(false);
    });
  }, []);

  const signOut = () => {
    session.clear();
    signed?.console.dispose();
    setSigned(null);
  };

  if (restoring) return <Loading what="your session" />;
  if (!signed) return <SignIn onToken={accept} error={restoreError} />;
  return (
    <Provider value={signed.console.client}>
      <ViewerContext.Provider value={signed.viewer}>
        <RouterProvider>
          <Shell viewer={signed.viewer} onSignOut={signOut} />
        </RouterProvider>
      </ViewerContext.Provider>
    </Provider>
  );
}

interface Page {
  path: string;
  title: string;
  render: () => JSX.Element;
  /** Shown in the navigation (the others are opened from a page: a host, a VM). */
  nav: boolean;
  /** Only for this role and above (the API refuses the others anyway). */
  role?: "ADMIN";
  /** The nav entry that stays current on this page. */
  parent?: string;
}

const PAGES: Page[] = [
  { path: "/", title: "Fleet", render: () => <Fleet />, nav: true },
  { path: "/host", title: "Host", render: () => <Host />, nav: false, parent: "/" },
  { path: "/vm", title: "VM", render: () => <Vm />, nav: false, parent: "/" },
  { path: "/migrations", title: "Migrations", render: () => <Migrations />, nav: true },
  { path: "/move", title: "Move", render: () => <Move />, nav: true },
  { path: "/maintenance", title: "Maintenance", render: () => <Maintenance />, nav: true },
  { path: "/audit", title: "Audit", render: () => <Audit />, nav: true, role: "ADMIN" },
];

function Shell({ viewer, onSignOut }: { viewer: Viewer; onSignOut: () => void }) {
  const { path } = useLocation();
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
  const current = page.parent ?? page.path;
  useEffect(() => {
    document.title = `${page.title} · Ferry Console`;
  }, [page.title]);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Ferry</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.filter((p) => p.nav && (!p.role || viewer.role === p.role)).map((p) => (
              <li key={p.path}>
                <Link to={p.path} current={p.path === current}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>
            {viewer.name} <span className="role">({viewer.role})</span>
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {page.render()}
      </main>
    </>
  );
}
