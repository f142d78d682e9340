// Sign-in: the API token is checked with `viewer` before it is kept (sessionStorage only).
import { type FormEvent, useState } from "react";

export function SignIn(props: { onToken: (token: string) => Promise<string | null>; error?: string | null }) {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(props.error ?? null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(await props.onToken(token.trim()));
    setBusy(false);
  };
  return (
    <main className="signin">
      <h1>Ferry Console</h1>
      <form onSubmit={submit} aria-describedby="signin-help">
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          required
          value={token}
          onChange={(e) => setToken(e.target.value)}
        />
        <p id="signin-help" className="help">
          Kept for this browser tab only. The demo prints its admin token at start.
        </p>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
