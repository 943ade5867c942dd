"""The catalog's services over the Grimoire (`registry`): publishing a maker's signed package
(`publishing`); a spell's versions, withdrawing one and a caster accepting one (`versions`,
`pinning`); what a maker keeps here: their spells and notifications (`makers`), signers
(`signers`), spell secrets (`secrets`) and what their spells did (`activity`); suspensions
(`suspensions`, `violations`); importing vulnerability data and re-scanning what is published
(`scans`); and announcing every change to connected MCP clients and to the other server
processes (`announcements`)."""
