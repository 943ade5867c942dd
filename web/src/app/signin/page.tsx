"use client";

import { type FormEvent, useState } from "react";

import { api } from "@/api/client";
import { ProblemNote } from "@/components/ProblemNote";

export default function SignIn() {
  const [key, setKey] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const { error } = await api.POST("/v1/auth/key", { body: { api_key: key.trim() } });
    setBusy(false);
    if (error) setError(error);
    else window.location.assign("/");
  }

  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <p>
        <a className="button" href="/v1/auth/github">
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
      <p className="hint">
        On a local platform started with <code>make serve</code>, the key is in <code>.spell/operator.key</code>.
      </p>
    </section>
  );
}
