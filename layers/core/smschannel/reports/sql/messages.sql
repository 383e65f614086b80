-- The message export: one row per message whose latest state falls from {{from}} to {{to}} (local dates), at its
-- latest status (docs/reports.md); a fact delivered twice is one fact (one row per factId).
WITH states AS (
    SELECT DISTINCT
        m.factid, m.messageid, m.interactionid, m.accountid, m.direction, m.status, m.sender, m.agentid,
        m.segments, m.encoding, m.createdat, m.statusat, m.errorcode, m.optout, m.dt
    FROM message_facts m
    WHERE m.dt BETWEEN '{{from}}' AND '{{to}}'{{filters}}
),
latest AS (
    SELECT
        s.*,
        row_number() OVER (
            PARTITION BY s.messageid
            ORDER BY s.statusat DESC, CASE s.status WHEN 'delivered' THEN 4 WHEN 'failed' THEN 3 WHEN 'undelivered' THEN 3
                WHEN 'sent' THEN 2 WHEN 'queued' THEN 1 ELSE 0 END DESC
        ) AS position
    FROM states s
)
SELECT
    messageid AS message_id,
    interactionid AS interaction_id,
    accountid AS account_id,
    direction,
    status,
    sender,
    agentid AS agent_id,
    segments,
    encoding,
    createdat AS created_at,
    statusat AS status_at,
    errorcode AS error_code,
    optout AS opt_out
FROM latest
WHERE position = 1
ORDER BY createdat, messageid
