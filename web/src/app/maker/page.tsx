"use client";

import { useCallback, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { BarChart } from "@/components/BarChart";
import { Notifications, Payouts, Signers } from "@/components/MakerExtras";
import { ProblemNote } from "@/components/ProblemNote";
import { SpellSecrets } from "@/components/SpellSecrets";
import { Suspended } from "@/components/Suspended";

type MySpell = components["schemas"]["MySpell"];
type Version = components["schemas"]["VersionInfo"];
type Earnings = components["schemas"]["Earnings"];

function Versions({ spell, onChange }: { spell: MySpell; onChange: (error: unknown) => void }) {
  const [versions, setVersions] = useState<Version[]>([]);
  const load = useCallback(() => {
    api
      .GET("/v1/spells/{key}/versions", { params: { path: { key: spell.key } } })
      .then(({ data }) => setVersions(data?.items ?? []));
  }, [spell.key]);
  useEffect(load, [load]);

  async function toggle(version: Version) {
    const params = { params: { path: { key: spell.key, version: version.version } } };
    const { error } = version.yanked
      ? await api.DELETE("/v1/spells/{key}/versions/{version}/yank", params)
      : await api.POST("/v1/spells/{key}/versions/{version}/yank", params);
    onChange(error ?? null);
    load();
  }

  return (
    <ul>
      {versions.map((version) => (
        <li key={version.version}>
          {version.version} {version.yanked ? "(yanked)" : ""} {version.signed ? "signed" : "unsigned"}{" "}
          <button type="button" onClick={() => toggle(version)} aria-label={`${version.yanked ? "Restore" : "Yank"} ${spell.key} ${version.version}`}>
            {version.yanked ? "Restore" : "Yank"}
          </button>
        </li>
      ))}
    </ul>
  );
}

export default function Maker() {
  const [spells, setSpells] = useState<MySpell[] | null>(null);
  const [earnings, setEarnings] = useState<Earnings | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.GET("/v1/makers/me/spells").then(({ data, error }) => {
      setSpells(data?.items ?? []);
      setError(error ?? null);
    });
    api.GET("/v1/makers/me/earnings").then(({ data }) => setEarnings(data ?? null));
  }, []);

  return (
    <section>
      <h1>My spells</h1>
      <ProblemNote error={error} />
      {earnings && (
        <p>
          Earnings not yet paid out: <strong>${earnings.balance.usd}</strong>
        </p>
      )}
      {earnings && Object.keys(earnings.by_spell).length > 0 && (
        <BarChart
          label="Your share per spell, all time"
          bars={Object.entries(earnings.by_spell).map(([name, price]) => ({ name, usd: Number(price.usd) }))}
        />
      )}
      {spells?.length === 0 && (
        <p>
          You publish no spells yet: <code>spell pack</code> a spell directory, sign it, and{" "}
          <code>spell publish</code> it (see the README).
        </p>
      )}
      {spells?.map((spell) => (
        <article key={spell.key}>
          <h2>
            {spell.key} {spell.status === "suspended" && <span className="badge muted">suspended</span>}
          </h2>
          <p>
            Latest {spell.latest_version}; earned ${earnings?.by_spell[spell.key]?.usd ?? "0"}.
          </p>
          <Versions spell={spell} onChange={setError} />
          <SpellSecrets spellKey={spell.key} />
        </article>
      ))}
      <Notifications />
      <Signers />
      <Payouts />
      <Suspended />
    </section>
  );
}
