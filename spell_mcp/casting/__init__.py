"""The middle of the house: the cast service both faces adapt to (`service`), and its parts: the one
cast pipeline (`pipeline`) and the context its steps pass along (`context`), the cast threads
(`threads`), the version a caster is served (`serving`), admission with Redis (`admission`), the
spell in the sandbox (`running`), where the steps run (`steps`), queued casts (`queued`, `held`);
what it looks up from memory (`lookups`), the limits a request passes first (`limits`), refusals
of money in words (`refusals`), a caster's recorded casts (`records`), replays (`replay`), and the
budget alerts a settlement sends (`budget_alerts`)."""
