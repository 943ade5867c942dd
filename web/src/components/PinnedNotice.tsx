"use client";

import { useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Pinned = components["schemas"]["Pinned"];

/** A newer version asks for more than the person accepted (a domain, secret, file grant or a
 * higher price): what it adds, and their consent. Until they give it, casts run the version
 * they know. */
export function PinnedNotice({ spellKey, pinned, onAccepted }: { spellKey: string; pinned: Pinned; onAccepted: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [accepting, setAccepting] = useState(false);

  async function accept() {
    setAccepting(true);
    const { error } = await api.POST("/v1/spells/{key}/accept", {
      params: { path: { key: spellKey } },
      body: { version: pinned.latest },
    });
    setAccepting(false);
    setError(error ?? null);
    if (!error) onAccepted();
  }

  return (
    <div className="secret" role="status">
      <p>
        Your casts run version {pinned.version}, the one you know. Version {pinned.latest} asks for more:
      </p>
      <ul>
        {pinned.widened.map((item) => (
          <li key={item}>it {item}</li>
        ))}
      </ul>
      <button type="button" onClick={accept} disabled={accepting}>
        {accepting ? "Accepting…" : `Accept version ${pinned.latest}`}
      </button>
      <ProblemNote error={error} />
    </div>
  );
}
