// Sign-in: a user name and the dev-token route in local mode, Cognito's hosted UI in AWS mode.

import { useState } from "preact/hooks";
import type { ApiClient } from "../api/client";
import { describeError } from "../api/errors";
import { startSignIn } from "../auth/cognito";
import { expiryOf, type Session } from "../auth/session";
import type { AppConfig } from "../config";

interface Props {
  config: AppConfig;
  api: ApiClient;
  note: string | null;
  onSignedIn(s: Session): void;
}

export function SignIn({ config, api, note, onSignedIn }: Props) {
  const [userId, setUserId] = useState("");
  // Local mode is a walk-through on one's own machine: Plus (100 messages an hour by default) leaves
  // room to regenerate and edit freely, where Free's 10 an hour runs out; Free is one choice away.
  const [tier, setTier] = useState("plus");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const local = config.mode === "local";

  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (!local && config.cognito) {
        await startSignIn(config.cognito, location.hash);
        return;
      }
      const name = userId.trim();
      const res = await api.devToken(name, tier);
      onSignedIn({
        token: res.token,
        userId: res.userId ?? name,
        tier: res.tier ?? tier,
        mode: "local",
        expiresAt: expiryOf(res.token, (res.expiresIn ?? 3600) * 1000),
      });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} aria-label="Sign in">
        <div class="brand">
          <span class="logo" aria-hidden="true">P</span>
          <h1>Parley</h1>
        </div>
        {local ? (
          <>
            <p class="muted">Local mode: pick any user name. Answers come from a simulated model.</p>
            <label>
              User name
              <input
                name="userId"
                autoComplete="username"
                autoFocus
                required
                pattern="[A-Za-z0-9_.@\-]+"
                maxLength={128}
                title="Letters, digits and _ . @ -"
                value={userId}
                onInput={(e) => setUserId(e.currentTarget.value)}
              />
            </label>
            <label>
              Plan
              <select name="tier" value={tier} onChange={(e) => setTier(e.currentTarget.value)}>
                <option value="plus">Plus</option>
                <option value="free">Free</option>
              </select>
            </label>
          </>
        ) : (
          <p class="muted">Sign in with your Parley account.</p>
        )}
        {(error || note) && (
          <p class="form-error" role="alert">
            {error ?? note}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
