"use client";

import { type FormEvent, useEffect, useState } from "react";

import { api } from "@/api/client";
import { toMicros, usd } from "@/api/money";
import type { components } from "@/api/schema";
import { ProblemNote } from "@/components/ProblemNote";

type Status = components["schemas"]["BudgetStatus"];

/** The caster's caps, what is spent of each window, and a form to change them. */
export function Budget() {
  const [status, setStatus] = useState<Status | null>(null);
  const [daily, setDaily] = useState("");
  const [monthly, setMonthly] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api.GET("/v1/users/me/budget").then(({ data }) => {
      setStatus(data ?? null);
      if (data?.caps.daily_cap_micros != null) setDaily(usd(data.caps.daily_cap_micros));
      if (data?.caps.monthly_cap_micros != null) setMonthly(usd(data.caps.monthly_cap_micros));
    });
  }, []);

  async function save(event: FormEvent) {
    event.preventDefault();
    const { data, error } = await api.PUT("/v1/users/me/budget", {
      body: { ...status?.caps, daily_cap_micros: toMicros(daily), monthly_cap_micros: toMicros(monthly) },
    });
    setError(error ?? null);
    setSaved(!error);
    if (data) setStatus(data);
  }

  return (
    <>
      <h2>Budget</h2>
      {status?.windows.map((window) => (
        <div key={window.period} className="meter">
          <label htmlFor={`spent-${window.period}`}>
            This {window.period}: ${usd(window.spent_micros)} spent
            {window.cap_micros != null ? ` of $${usd(window.cap_micros)}` : " (no cap)"}
          </label>
          {window.cap_micros != null && (
            <progress id={`spent-${window.period}`} max={window.cap_micros} value={window.spent_micros + window.held_micros} />
          )}
        </div>
      ))}
      {status && status.alerts.length > 0 && (
        <ul>
          {status.alerts.map((alert) => (
            <li key={`${alert.period}-${alert.threshold}-${alert.window_start}`}>
              {alert.threshold} % of the {alert.period} cap reached on {new Date(alert.at).toLocaleString()}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={save} className="row">
        <label htmlFor="daily">Daily cap (USD)</label>
        <input id="daily" inputMode="decimal" value={daily} onChange={(e) => setDaily(e.target.value)} placeholder="none" />
        <label htmlFor="monthly">Monthly cap (USD)</label>
        <input id="monthly" inputMode="decimal" value={monthly} onChange={(e) => setMonthly(e.target.value)} placeholder="none" />
        <button type="submit">Save caps</button>
        {saved && <span role="status">Saved.</span>}
      </form>
      <ProblemNote error={error} />
    </>
  );
}
