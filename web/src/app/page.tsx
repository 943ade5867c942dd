"use client";

import Link from "next/link";
import { type FormEvent, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Spell = components["schemas"]["SpellSummary"];

export default function Catalog() {
  const [query, setQuery] = useState("");
  const [spells, setSpells] = useState<Spell[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const [tag, setTag] = useState<string | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [categories, setCategories] = useState<string[]>([]);

  async function search(q: string, onlyTag: string | null = tag, onlyCategory: string | null = category) {
    const { data, error } = await api.GET("/v1/spells", {
      params: { query: { q: q || undefined, tag: onlyTag ?? undefined, category: onlyCategory ?? undefined } },
    });
    if (!q && !onlyTag && !onlyCategory) {
      const all = (data?.items ?? []).map((spell) => spell.category).filter((c): c is string => Boolean(c));
      setCategories([...new Set(all)].sort());
    }
    setError(error ?? null);
    setSpells(data?.items ?? []);
  }

  useEffect(() => {
    search("");
  }, []);

  function submit(event: FormEvent) {
    event.preventDefault();
    search(query.trim());
  }

  return (
    <section>
      <h1>Catalog</h1>
      <form role="search" onSubmit={submit} className="row">
        <label htmlFor="q" className="visually-hidden">
          Search spells
        </label>
        <input id="q" type="search" placeholder="Search spells" value={query} onChange={(e) => setQuery(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {categories.length > 0 && (
        <p className="tags" role="group" aria-label="Categories">
          {categories.map((name) => (
            <button
              key={name}
              type="button"
              className="tag"
              aria-pressed={category === name}
              onClick={() => {
                const next = category === name ? null : name;
                setCategory(next);
                search(query.trim(), tag, next);
              }}
            >
              {name}
            </button>
          ))}
        </p>
      )}
      {tag && (
        <p>
          Only spells tagged #{tag}.{" "}
          <button type="button" onClick={() => (setTag(null), search(query.trim(), null))}>
            Show all
          </button>
        </p>
      )}
      <ProblemNote error={error} />
      {error ? (
        <p>
          <Link href="/signin/">Sign in</Link> to see the catalog.
        </p>
      ) : null}
      {spells && spells.length === 0 && !error && <p>No spell matches; try fewer words.</p>}
      <ul className="cards">
        {spells?.map((spell) => (
          <li key={spell.key}>
            <Link href={`/spell/?key=${encodeURIComponent(spell.key)}`}>
              <strong>{spell.name}</strong>
            </Link>
            <span className="price">${spell.price.usd} a cast</span>
            {spell.signed ? <span className="badge">signed</span> : <span className="badge muted">unsigned</span>}
            <p>{spell.description}</p>
            <code>{spell.key}</code>
            {spell.tags.length > 0 && (
              <p className="tags">
                {spell.tags.map((name) => (
                  <button
                    key={name}
                    type="button"
                    className="tag"
                    aria-pressed={tag === name}
                    onClick={() => {
                      const next = tag === name ? null : name;
                      setTag(next);
                      search(query.trim(), next);
                    }}
                  >
                    #{name}
                  </button>
                ))}
              </p>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
