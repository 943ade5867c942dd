"use client";

import { useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";

type SuspendedSpell = components["schemas"]["MySpell"];

/** For operators: the spells they suspended, each with a way back. */
export function Suspended() {
  const [operator, setOperator] = useState(false);
  const [spells, setSpells] = useState<SuspendedSpell[]>([]);
  const load = useCallback(() => {
    api.GET("/v1/admin/spells/suspended").then(({ data }) => setSpells(data?.items ?? []));
  }, []);
  useEffect(() => {
    api.GET("/v1/users/me").then(({ data }) => {
      if (!data?.is_operator) return;
      setOperator(true);
      load();
    });
  }, [load]);

  async function reinstate(key: string) {
    await api.DELETE("/v1/spells/{key}/suspend", { params: { path: { key } } });
    load();
  }

  if (!operator) return null;
  return (
    <>
      <h2>Suspended spells (operator)</h2>
      {spells.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul>
          {spells.map((spell) => (
            <li key={spell.key}>
              {spell.key}{" "}
              <button type="button" onClick={() => reinstate(spell.key)} aria-label={`Reinstate ${spell.key}`}>
                Reinstate
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
