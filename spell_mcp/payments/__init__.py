"""Money in and out of the platform: operators' grants (`grants`) and refunds of casts
(`refunds`), top-ups through Stripe Checkout (`checkout`) and auto-reloads (`reloads`), refunds
and disputes from Stripe's signed webhooks (`events`), each posted once to the ledger
(billing/payments.py) and listed for the caster (`records`); makers' payouts (`payouts`); a
caster's budgets (`budgets`) and what their money comes to (`reports`). Stripe itself is behind
`provider`, the one module that speaks to it."""
