"use client";

import Link from "next/link";
import { type FormEvent, useEffect, useState } from "react";

import { api } from "@/api/client";
import type { components } from "@/api/schema";
import { Budget } from "@/components/Budget";
import { ProblemNote } from "@/components/ProblemNote";
import { Usage } from "@/components/Usage";

type Balance = components["schemas"]["Balance"];
type Payment = components["schemas"]["PaymentInfo"];
type Options = components["schemas"]["BillingOptions"];

export default function Account() {
  const [balance, setBalance] = useState<Balance | null>(null);
  const [payments, setPayments] = useState<Payment[]>([]);
  const [amount, setAmount] = useState("20.00");
  const [error, setError] = useState<unknown>(null);
  const [options, setOptions] = useState<Options | null>(null);

  useEffect(() => {
    api.GET("/v1/billing/options").then(({ data }) => setOptions(data ?? null));
    api.GET("/v1/users/me/balance").then(({ data, error }) => {
      setBalance(data ?? null);
      setError(error ?? null);
    });
    api.GET("/v1/billing/payments").then(({ data }) => setPayments(data?.items ?? []));
  }, []);

  async function topUp(event: FormEvent) {
    event.preventDefault();
    const { data, error } = await api.POST("/v1/billing/checkout", { body: { amount_usd: amount } });
    if (data) window.location.assign(data.url);
    else setError(error);
  }

  if (!balance)
    return (
      <section>
        <ProblemNote error={error} />
        <Link href="/signin/">Sign in</Link>
      </section>
    );
  return (
    <section>
      <h1>Account</h1>
      <dl className="facts">
        <dt>Available</dt>
        <dd>${balance.available.usd}</dd>
        <dt>Held by running casts</dt>
        <dd>${balance.held.usd}</dd>
        {balance.debt.micros > 0 && (
          <>
            <dt>Owed</dt>
            <dd>${balance.debt.usd}: a top-up repays it first</dd>
          </>
        )}
      </dl>
      <Budget />
      <Usage />
      <h2>Buy credits</h2>
      {options?.top_ups ? (
        <form onSubmit={topUp} className="row">
          <label htmlFor="amount">
            Amount in USD (${options.top_up_min.usd} to ${options.top_up_max.usd})
          </label>
          <input id="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
          <button type="submit">Pay with Stripe</button>
        </form>
      ) : (
        <p>
          This platform takes no payments: its operator grants credits (<code>spell credits grant</code>). Ask them
          for more.
        </p>
      )}
      <ProblemNote error={error} />
      <h2>Payments</h2>
      {payments.length === 0 ? (
        <p>No payments yet. Credits come from a top-up, or from the platform&apos;s operator.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Amount</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {payments.map((payment) => (
              <tr key={payment.id}>
                <td>{new Date(payment.created_at).toLocaleString()}</td>
                <td>{payment.kind.replace("_", " ")}</td>
                <td>${payment.amount.usd}</td>
                <td>
                  {payment.receipt_url ? <a href={payment.receipt_url}>receipt</a> : payment.reason}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
