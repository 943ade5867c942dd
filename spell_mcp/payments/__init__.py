"""Money in and out of the platform: operators' grants, top-ups through Stripe Checkout,
refunds and disputes from Stripe's signed webhooks (`events`), each posted once to the ledger
(billing/payments.py) and listed for the caster (`records`). Stripe itself is behind
`provider`, the one module that speaks to it."""
