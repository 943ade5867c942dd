"use client";

import { type FormEvent, useState } from "react";

import { api } from "@/api/client";
import { ProblemNote } from "@/components/ProblemNote";

/** Signing a browser in: with GitHub (back to `then` afterwards), or with a caster's first key. */
export function SignInForm({ then, onSignedIn }: { then: string; onSignedIn: () => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const { error } = await api.POST("/v1/auth/key", { body: { api_key: key.trim() } });
    setBusy(false);
    if (error) setError(error);
    else onSignedIn();
  }

  return (
    <>
      <p>
        <a className="button" href={`/v1/auth/github?${new URLSearchParams({ then })}`}>
          Sign in with GitHub
        </a>
      </p>
      <form onSubmit={submit}>
        <label htmlFor="api-key">Or with your first API key (it has the admin scope)</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          placeholder="spell_sk_…"
          value={key}
          onChange={(event) => setKey(event.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <ProblemNote error={error} />
    </>
  );
}
