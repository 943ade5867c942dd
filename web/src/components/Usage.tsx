"use client";

import { useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { UsageChart } from "@/components/UsageChart";

type Row = components["schemas"]["UsageRow"];
type Cast = components["schemas"]["CastRecord"];
type Group = "day" | "spell" | "key";

/** What the caster's casts cost, by day (a chart), spell or key, and the latest casts. */
export function Usage() {
  const [group, setGroup] = useState<Group>("day");
  const [rows, setRows] = useState<Row[]>([]);
  const [casts, setCasts] = useState<Cast[]>([]);

  useEffect(() => {
    api.GET("/v1/users/me/usage", { params: { query: { group } } }).then(({ data }) => setRows(data?.rows ?? []));
  }, [group]);
  useEffect(() => {
    api.GET("/v1/casts", { params: { query: { limit: 10 } } }).then(({ data }) => setCasts(data?.items ?? []));
  }, []);

  return (
    <>
      <h2>Usage</h2>
      <div className="row" role="group" aria-label="Group usage by">
        {(["day", "spell", "key"] as const).map((choice) => (
          <button key={choice} type="button" aria-pressed={group === choice} onClick={() => setGroup(choice)}>
            By {choice}
          </button>
        ))}
        <a href={`/v1/users/me/usage?group=${group}&format=csv`} download>
          Download CSV
        </a>
      </div>
      {rows.length === 0 ? (
        <p>No casts in the last 30 days. Cast a spell from the catalog and it shows here.</p>
      ) : group === "day" ? (
        <UsageChart
          label="Spent per day, last 30 days"
          points={rows.map((row) => ({ day: row.group, usd: Number(row.spent.usd) }))}
        />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{group === "spell" ? "Spell" : "Key"}</th>
              <th scope="col">Casts</th>
              <th scope="col">Spent</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.group}>
                <td>{row.group}</td>
                <td>{row.casts}</td>
                <td>${row.spent.usd}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Latest casts</h3>
      {casts.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <ul>
          {casts.map((cast) => (
            <li key={cast.cast_id}>
              {cast.spell_key} {cast.status} — ${cast.charged.usd}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
