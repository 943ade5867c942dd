"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import { toMicros } from "@/api/money";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Key = components["schemas"]["KeyInfo"];
const SCOPES = ["cast", "read", "publish", "billing", "admin"] as const;

export default function Keys() {
  const [keys, setKeys] = useState<Key[]>([]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["cast", "read"]);
  const [expires, setExpires] = useState("");
  const [dailyCap, setDailyCap] = useState("");
  const [secret, setSecret] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    const { data, error } = await api.GET("/v1/keys");
    setKeys(data?.items ?? []);
    setError(error ?? null);
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  async function create(event: FormEvent) {
    event.preventDefault();
    const expires_at = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
    const cap = toMicros(dailyCap);
    const budget = cap === null ? null : { daily_cap_micros: cap };
    const { data, error } = await api.POST("/v1/keys", { body: { name, scopes, expires_at, budget } });
    setError(error ?? null);
    if (data) {
      setSecret(data.key);
      setCopied(false);
      setName("");
      load();
    }
  }

  async function revoke(key: Key) {
    if (!window.confirm(`Revoke ${key.name}? Anything using it stops working at once.`)) return;
    const { error } = await api.DELETE("/v1/keys/{key_id}", { params: { path: { key_id: key.id } } });
    setError(error ?? null);
    load();
  }

  async function rotate(key: Key) {
    const { data, error } = await api.POST("/v1/keys/{key_id}/rotate", { params: { path: { key_id: key.id } } });
    setError(error ?? null);
    if (data) {
      setSecret(data.key);
      setCopied(false);
    }
    load();
  }

  function toggle(scope: string) {
    setScopes((now) => (now.includes(scope) ? now.filter((s) => s !== scope) : [...now, scope]));
  }

  return (
    <section>
      <h1>API keys</h1>
      <p>
        Give each agent or script a key of its own, with only the scopes it needs. Agents you sign in with OAuth
        (see <a href="/connect/">Connect an agent</a>) are listed here too: revoking one signs it out at once.
      </p>
      <form onSubmit={create}>
        <label htmlFor="key-name">Name</label>
        <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor="key-expires">Expires (optional)</label>
        <input id="key-expires" type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
        <label htmlFor="key-daily">Daily budget of this key in USD (optional)</label>
        <input id="key-daily" inputMode="decimal" value={dailyCap} onChange={(e) => setDailyCap(e.target.value)} />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} /> {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit">Create key</button>
      </form>
      {secret && (
        <div className="secret" role="status">
          <p>Your new key, shown this once: store it now.</p>
          <code data-testid="new-key">{secret}</code>{" "}
          <button
            type="button"
            onClick={() => navigator.clipboard?.writeText(secret).then(() => setCopied(true), () => setCopied(false))}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
      )}
      <ProblemNote error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id}>
              <td>
                {key.name}
                {key.oauth_client_id && <span className="badge muted">agent signed in with OAuth</span>}
              </td>
              <td>{key.scopes.join(", ")}</td>
              <td>{key.last_used_at ? new Date(key.last_used_at).toLocaleString() : "never"}</td>
              <td>{key.expires_at ? new Date(key.expires_at).toLocaleDateString() : "never"}</td>
              <td>
                {key.revoked_at ? (
                  "revoked"
                ) : (
                  <>
                    {!key.oauth_client_id && (
                      <>
                        <button type="button" onClick={() => rotate(key)} aria-label={`Rotate ${key.name}`}>
                          Rotate
                        </button>{" "}
                      </>
                    )}
                    <button type="button" onClick={() => revoke(key)} aria-label={`Revoke ${key.name}`}>
                      Revoke
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
