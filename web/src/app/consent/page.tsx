"use client";

import { useSearchParams } from "next/navigation";
import { Suspense, useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import { toMicros } from "@/api/money";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";
import { SignInForm } from "@/components/SignInForm";

type Asked = components["schemas"]["ConsentRequestView"];

const SCOPE_WORDS: Record<string, string> = {
  cast: "cast spells, paid from your credits within the budget below",
  read: "read the catalog, its own casts and your balance",
  publish: "publish spells as you",
  billing: "manage your billing (top-ups, reloads, payouts)",
};

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

function Consent() {
  const params = useSearchParams();
  const request = params.get("request");
  const [asked, setAsked] = useState<Asked | null>(null);
  const [who, setWho] = useState<string | null>(null);
  const [signIn, setSignIn] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [scopes, setScopes] = useState<string[]>([]);
  const [daily, setDaily] = useState("1");
  const [expires, setExpires] = useState(inDays(30));
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    if (!request) return;
    const { data, error, response } = await api.GET("/v1/oauth/consent", { params: { query: { request } } });
    setSignIn(response.status === 401);
    setError(response.status === 401 ? null : (error ?? null));
    if (data) {
      setAsked(data);
      setScopes(data.scopes);
      const me = await api.GET("/v1/users/me");
      setWho(me.data?.name ?? null);
    }
  }, [request]);
  useEffect(() => {
    load();
  }, [load]);

  async function decide(approve: boolean) {
    if (!request) return;
    setBusy(true);
    const expires_at = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
    const body = { request, approve, scopes, daily_cap_micros: toMicros(daily), expires_at };
    const { data, error } = await api.POST("/v1/oauth/consent", { body });
    setBusy(false);
    setError(error ?? null);
    if (data) window.location.assign(data.redirect_to);
  }

  function toggle(scope: string) {
    setScopes((now) => (now.includes(scope) ? now.filter((s) => s !== scope) : [...now, scope]));
  }

  const refused = params.get("error");
  if (!request || refused) {
    return (
      <section className="narrow">
        <h1>The agent cannot be signed in</h1>
        <div role="alert" className="problem">
          <p>{params.get("error_description") || "This page is reached from an agent that asks to be signed in."}</p>
        </div>
        <p>Start again from the agent. If it keeps failing, tell its maker what this page says.</p>
      </section>
    );
  }
  if (signIn) {
    return (
      <section className="narrow">
        <h1>An agent asks to use Spell as you</h1>
        <p>Sign in first: then you choose what it may do, what it may spend, and for how long.</p>
        <SignInForm then={`/consent/?${params}`} onSignedIn={load} />
      </section>
    );
  }
  if (!asked) return <ProblemNote error={error} />;
  return (
    <section className="narrow">
      <h1>Allow {asked.client_name} to use Spell as you?</h1>
      <dl className="facts">
        <dt>Agent</dt>
        <dd>
          {asked.client_name}
          {asked.client_uri && (
            <>
              {" "}
              (<a href={asked.client_uri} rel="noreferrer noopener">{asked.client_uri}</a>)
            </>
          )}
        </dd>
        <dt>Vouched for by</dt>
        <dd>{asked.verified_by ?? "nobody: it registered itself, so its name is only its own claim"}</dd>
        <dt>Returns to</dt>
        <dd>
          <code>{asked.redirect_to}</code>
        </dd>
        <dt>Signed in as</dt>
        <dd>{who ?? "you"}</dd>
      </dl>
      {asked.loopback_only && (
        <p className="problem" role="note">
          This agent runs on your computer and comes back to it: any program there could use this name. Approve only
          if you started signing it in yourself, just now.
        </p>
      )}
      <fieldset>
        <legend>It may</legend>
        {asked.scopes.map((scope) => (
          <label key={scope} className="check">
            <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {scope}:{" "}
            {SCOPE_WORDS[scope] ?? scope}
          </label>
        ))}
      </fieldset>
      <label htmlFor="agent-daily">Daily budget of this agent in USD (empty: no cap of its own)</label>
      <input id="agent-daily" inputMode="decimal" value={daily} onChange={(e) => setDaily(e.target.value)} />
      <label htmlFor="agent-expires">Its access ends on (empty: when you revoke it)</label>
      <input id="agent-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
      <p className="hint">
        It gets a key of yours, listed on the <a href="/keys/">API keys</a> page, where you can revoke it at any time.
      </p>
      <p>
        <button type="button" disabled={busy || scopes.length === 0} onClick={() => decide(true)}>
          Allow
        </button>{" "}
        <button type="button" disabled={busy} onClick={() => decide(false)}>
          Deny
        </button>
      </p>
      <ProblemNote error={error} />
    </section>
  );
}

export default function AuthorizePage() {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <Consent />
    </Suspense>
  );
}
