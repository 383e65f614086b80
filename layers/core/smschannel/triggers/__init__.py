"""Triggers: account rules that answer, route, close, call out and hand off to a bot, run on the table stream.

`model` (the trigger shape of docs/api.md), `conditions` (the pure rule engine), `templates` (auto-reply text),
`events` (which table changes are trigger events), `store` (triggers, runs, firing claims), `service` (firing and
actions), `bots` (Lex V2 and webhook backends), `signing` (the `X-Signature` of callUrl and webhook bots).
"""
