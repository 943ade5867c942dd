"""The audit trail: an append-only record of every security- and money-relevant action (who,
what, to what, when, from which pseudonymous address), written in the same transaction as the
action itself, so that neither happens without the other."""

from spell_mcp.audit.pseudonyms import Pseudonyms
from spell_mcp.audit.trail import ACTIONS, CONSOLE, SYSTEM, Actor, record

__all__ = ["ACTIONS", "CONSOLE", "SYSTEM", "Actor", "Pseudonyms", "record"]
