"use client";

import Form from "@rjsf/core";
import type { RJSFSchema } from "@rjsf/utils";
import { customizeValidator } from "@rjsf/validator-ajv8";
import Ajv2020 from "ajv/dist/2020";
import { useSearchParams } from "next/navigation";
import { Suspense, useEffect, useState } from "react";

import { api } from "@/api/client";
import { usd } from "@/api/money";
import type { components } from "@/api/schema";
import { PinnedNotice } from "@/components/PinnedNotice";
import { ProblemNote } from "@/components/ProblemNote";
import { ReceiptCheck } from "@/components/ReceiptCheck";
import { Readme } from "@/components/Readme";
import { SpellFacts } from "@/components/SpellFacts";

// Spells' input schemas are JSON Schema 2020-12. The server validates every cast (its problems
// are shown); validating here too would need eval, which the page's CSP rightly forbids.
const validator = customizeValidator({ AjvClass: Ajv2020 });

type Detail = components["schemas"]["SpellDetail"];
type CastResponse = components["schemas"]["CastResponse"];
type Balance = components["schemas"]["Balance"];
type BudgetStatus = components["schemas"]["BudgetStatus"];

/** What the caster may still spend today and this month, where it set caps. */
function budgetLeft(status: BudgetStatus | null): string | null {
  const left = (status?.windows ?? [])
    .filter((window) => window.cap_micros != null)
    .map((window) => {
      const micros = Math.max((window.cap_micros ?? 0) - window.spent_micros - window.held_micros, 0);
      return `$${usd(micros)} left this ${window.period}`;
    });
  return left.length ? left.join(", ") : null;
}

function policyInWords(policy: Record<string, string[]>): string[] {
  const words = [];
  if (policy.fs_read?.length) words.push("reads its own files");
  if (policy.fs_write?.length) words.push("writes files you can download");
  if (policy.env_vars?.length) words.push(`uses its maker's secrets (${policy.env_vars.join(", ")})`);
  for (const domain of policy.net_allow ?? []) words.push(`may call ${domain} over HTTPS`);
  return words.length ? words : ["touches nothing outside itself: no files, no network"];
}

function SpellPage() {
  const key = useSearchParams().get("key") ?? "";
  const [spell, setSpell] = useState<Detail | null>(null);
  const [balance, setBalance] = useState<Balance | null>(null);
  const [budget, setBudget] = useState<BudgetStatus | null>(null);
  const [result, setResult] = useState<CastResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [casting, setCasting] = useState(false);
  const [operator, setOperator] = useState(false);
  const [suspended, setSuspended] = useState(false);
  // Counts the person's acceptances of a newer version: the spell is read again after each.
  const [accepted, setAccepted] = useState(0);

  useEffect(() => {
    api.GET("/v1/spells/{key}", { params: { path: { key } } }).then(({ data, error }) => {
      setSpell(data ?? null);
      setError(error ?? null);
    });
  }, [key, accepted]);

  useEffect(() => {
    api.GET("/v1/users/me/balance").then(({ data }) => setBalance(data ?? null));
    api.GET("/v1/users/me").then(({ data }) => setOperator(Boolean(data?.is_operator)));
    api.GET("/v1/users/me/budget").then(({ data }) => setBudget(data ?? null));
  }, [key]);

  async function suspend() {
    if (!window.confirm(`Suspend ${key}? Nobody can cast it until it is reinstated.`)) return;
    const { error } = await api.POST("/v1/spells/{key}/suspend", { params: { path: { key } } });
    setError(error ?? null);
    setSuspended(!error);
  }

  async function cast(input: Record<string, unknown>) {
    setCasting(true);
    setResult(null);
    const { data, error } = await api.POST("/v1/spells/{key}/cast", {
      params: { path: { key } },
      body: { input },
    });
    setCasting(false);
    // Cast without `Prefer: respond-async`, the answer is the settled cast (never 202's queued one).
    setResult(data && "output" in data ? data : null);
    setError(error ?? null);
    api.GET("/v1/users/me/balance").then(({ data }) => setBalance(data ?? null));
  }

  if (!spell) return <ProblemNote error={error} />;
  return (
    <section>
      <h1>{spell.name}</h1>
      <p>{spell.description}</p>
      {spell.pinned && (
        <PinnedNotice spellKey={spell.key} pinned={spell.pinned} onAccepted={() => setAccepted((n) => n + 1)} />
      )}
      <Readme spellKey={spell.key} />
      <dl className="facts">
        <dt>Price</dt>
        <dd>${spell.price.usd} per successful cast (failed casts are free)</dd>
        <dt>Your credits</dt>
        <dd>{balance ? `$${balance.available.usd} available` : "…"}</dd>
        {budgetLeft(budget) && (
          <>
            <dt>Your budget</dt>
            <dd>{budgetLeft(budget)}</dd>
          </>
        )}
        <dt>It</dt>
        <dd>{policyInWords(spell.policy).join("; ")}</dd>
        <dt>Limits</dt>
        <dd>
          {spell.enforced_limits.timeout_ms} ms, {Math.round(spell.enforced_limits.max_memory_bytes / 1048576)} MiB of
          memory
        </dd>
        <dt>Module</dt>
        <dd>
          <code>{spell.module_digest}</code> {spell.signed ? "(signed)" : "(unsigned development spell)"}
        </dd>
      </dl>
      <h2>Cast</h2>
      <Form
        schema={spell.input_schema as RJSFSchema}
        validator={validator}
        onSubmit={({ formData }) => cast((formData ?? {}) as Record<string, unknown>)}
        disabled={casting}
        noValidate
      >
        <button type="submit" disabled={casting}>
          {casting ? "Casting…" : `Cast for $${spell.price.usd}`}
        </button>
      </Form>
      <ProblemNote error={error} />
      {result && (
        <div className="result" aria-live="polite">
          <h2>Result</h2>
          <p>
            Charged ${result.charged.usd}. Cast <code>{result.cast_id}</code>.
          </p>
          <pre tabIndex={0}>{JSON.stringify(result.output, null, 2)}</pre>
          {result.artifacts.length > 0 && (
            <>
              <h3>Files it wrote</h3>
              <ul>
                {result.artifacts.map((artifact) => (
                  <li key={artifact.name}>
                    <a href={artifact.url} download>
                      {artifact.name}
                    </a>{" "}
                    ({artifact.size} bytes)
                  </li>
                ))}
              </ul>
            </>
          )}
          <ReceiptCheck receipt={result.receipt} />
        </div>
      )}
      <SpellFacts spellKey={spell.key} />
      {operator && (
        <p>
          <button type="button" onClick={suspend} disabled={suspended}>
            {suspended ? "Suspended" : "Suspend this spell (operator)"}
          </button>
        </p>
      )}
    </section>
  );
}

export default function Page() {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <SpellPage />
    </Suspense>
  );
}
