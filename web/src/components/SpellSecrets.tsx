"use client";

import { type FormEvent, useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Secret = components["schemas"]["SecretInfo"];

/** A spell's secrets: their names and when they were set (values are never shown), and setting one. */
export function SpellSecrets({ spellKey }: { spellKey: string }) {
  const [secrets, setSecrets] = useState<Secret[]>([]);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api
      .GET("/v1/spells/{key}/secrets", { params: { path: { key: spellKey } } })
      .then(({ data }) => setSecrets(data?.items ?? []));
  }, [spellKey]);
  useEffect(load, [load]);

  async function save(event: FormEvent) {
    event.preventDefault();
    const { error } = await api.PUT("/v1/spells/{key}/secrets/{name}", {
      params: { path: { key: spellKey, name } },
      body: { value },
    });
    setError(error ?? null);
    if (!error) {
      setName("");
      setValue("");
      load();
    }
  }

  return (
    <details>
      <summary>Secrets ({secrets.length})</summary>
      <ul>
        {secrets.map((secret) => (
          <li key={secret.name}>
            <code>{secret.name}</code> set {new Date(secret.updated_at).toLocaleString()}
          </li>
        ))}
      </ul>
      <form onSubmit={save} className="row">
        <label htmlFor={`secret-name-${spellKey}`}>Name</label>
        <input id={`secret-name-${spellKey}`} value={name} onChange={(e) => setName(e.target.value)} required />
        <label htmlFor={`secret-value-${spellKey}`}>Value</label>
        <input
          id={`secret-value-${spellKey}`}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          required
        />
        <button type="submit">Set secret</button>
      </form>
      <ProblemNote error={error} />
    </details>
  );
}
