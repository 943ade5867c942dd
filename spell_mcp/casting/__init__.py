"""The middle of the house: the one cast pipeline both faces adapt to (`pipeline`), what it looks
up from memory (`lookups`), the limits a request passes first (`limits`), refusals of money in
words (`refusals`), a caster's recorded casts (`records`), and the budget alerts a settlement
sends (`budget_alerts`)."""
