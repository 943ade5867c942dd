"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Notification = components["schemas"]["Notification"];
type Signer = components["schemas"]["Signer"];
type Payout = components["schemas"]["PayoutInfo"];

/** What needs the maker's attention: new vulnerabilities in its published versions. */
export function Notifications() {
  const [items, setItems] = useState<Notification[]>([]);
  useEffect(() => {
    api.GET("/v1/makers/me/notifications").then(({ data }) => setItems(data?.items ?? []));
  }, []);
  return (
    <>
      <h2>Notifications</h2>
      {items.length === 0 ? (
        <p>Nothing needs your attention.</p>
      ) : (
        <ul>
          {items.map((item) => (
            <li key={`${item.spell_key}-${item.version}-${item.created_at}`}>
              {item.spell_key} {item.version}: {item.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** Who may sign the maker's spells (like trusted publishers), and adding one. */
export function Signers() {
  const [signers, setSigners] = useState<Signer[]>([]);
  const [identity, setIdentity] = useState("");
  const [issuer, setIssuer] = useState("https://github.com/login/oauth");
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.GET("/v1/makers/me/signers").then(({ data }) => setSigners(data?.items ?? []));
  }, []);
  useEffect(load, [load]);

  async function add(event: FormEvent) {
    event.preventDefault();
    const { error } = await api.POST("/v1/makers/me/signers", { body: { identity, issuer } });
    setError(error ?? null);
    if (!error) {
      setIdentity("");
      load();
    }
  }

  return (
    <>
      <h2>Who may sign your spells</h2>
      {signers.length === 0 ? (
        <p>Nobody yet: publishing a signed spell needs at least one identity here.</p>
      ) : (
        <ul>
          {signers.map((signer) => (
            <li key={signer.id}>
              {signer.identity} <span className="hint">via {signer.issuer}</span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <label htmlFor="signer-identity">Identity (an e-mail, or a CI workflow URI)</label>
        <input id="signer-identity" value={identity} onChange={(e) => setIdentity(e.target.value)} required />
        <label htmlFor="signer-issuer">OIDC issuer</label>
        <input id="signer-issuer" value={issuer} onChange={(e) => setIssuer(e.target.value)} required />
        <button type="submit">Add signer</button>
      </form>
      <ProblemNote error={error} />
    </>
  );
}

/** Statements of what was paid out, where the platform pays makers. */
export function Payouts() {
  const [enabled, setEnabled] = useState(false);
  const [payouts, setPayouts] = useState<Payout[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.GET("/v1/billing/options").then(({ data }) => {
      if (!data?.payouts) return;
      setEnabled(true);
      api.GET("/v1/makers/me/payouts").then(({ data }) => setPayouts(data?.items ?? []));
    });
  }, []);

  async function onboard() {
    const { data, error } = await api.POST("/v1/makers/me/payouts/account", { body: { country: "US" } });
    if (data?.onboarding_url) window.location.assign(data.onboarding_url);
    else setError(error);
  }

  if (!enabled) return null;
  return (
    <>
      <h2>Payouts</h2>
      <button type="button" onClick={onboard}>
        Set up or update your payout account (Stripe)
      </button>
      <ProblemNote error={error} />
      {payouts.length === 0 ? (
        <p>No payouts yet: earnings are paid once they are a week old and reach the minimum.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Casts</th>
              <th scope="col">Net</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {payouts.map((payout) => (
              <tr key={payout.id}>
                <td>{payout.period}</td>
                <td>{payout.casts}</td>
                <td>${payout.amount.usd}</td>
                <td>{payout.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href="/v1/makers/me/payouts?format=csv" download>
          Download statements (CSV)
        </a>
      </p>
    </>
  );
}
