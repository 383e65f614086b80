-- The interaction export: one row per interaction closed from {{from}} to {{to}} (local dates), with its times,
-- waits and counts (docs/reports.md); a fact delivered twice is one row (one row per interaction: its latest revision, the wrap-up's once recorded).
WITH interactions AS (
    SELECT *
    FROM (
        SELECT f.*, row_number() OVER (PARTITION BY f.interactionid ORDER BY f.revision DESC) AS copy
        FROM interaction_facts f
        WHERE f.dt BETWEEN '{{from}}' AND '{{to}}'{{filters}}
    ) AS deduplicated
    WHERE copy = 1
),
messages AS (
    SELECT DISTINCT m.factid, m.interactionid, m.messageid, m.direction, m.status, m.sender, m.segments, m.createdat, m.createdepoch
    FROM message_facts m
    WHERE m.dt BETWEEN '{{messagesFrom}}' AND '{{messagesTo}}' AND m.direction = 'out'
),
per_interaction AS (
    SELECT
        interactionid,
        min(CASE WHEN status = 'queued' AND sender LIKE 'agent:%' THEN createdat END) AS firstagentreplyat,
        min(CASE WHEN status = 'queued' AND sender LIKE 'agent:%' THEN createdepoch END) AS firstagentreplyepoch,
        sum(CASE WHEN status = 'queued' THEN segments ELSE 0 END) AS segmentsout,
        count(DISTINCT CASE WHEN status IN ('failed', 'undelivered') THEN messageid END) AS deliveryfailures
    FROM messages
    GROUP BY interactionid
)
SELECT
    i.interactionid AS interaction_id,
    i.accountid AS account_id,
    i.queueid AS queue_id,
    i.teamid AS team_id,
    i.agentid AS agent_id,
    i.contactid AS contact_id,
    i.dt AS closed_date,
    i.createdat AS created_at,
    i.assignedat AS assigned_at,
    coalesce(i.firstreplyat, p.firstagentreplyat) AS first_reply_at,
    i.closedat AS closed_at,
    i.waitedseconds AS waited_seconds,
    CAST(round(CAST(coalesce(i.firstreplyepoch, p.firstagentreplyepoch) - i.createdepoch AS DECIMAL(18, 6)), 1) AS double) AS first_response_seconds,
    i.handleseconds AS handle_seconds,
    i.wrapupseconds AS wrap_up_seconds,
    i.messagesin AS messages_in,
    i.messagesout AS messages_out,
    greatest(coalesce(p.segmentsout, 0), i.segmentsout) AS segments_out,
    greatest(coalesce(p.deliveryfailures, 0), i.deliveryfailures) AS delivery_failures,
    i.disposition AS disposition,
    i.transfers AS transfers,
    i.handled AS handled,
    i.abandoned AS abandoned,
    i.triggerhandled AS trigger_handled,
    i.bothandled AS bot_handled
FROM interactions i
LEFT JOIN per_interaction p ON p.interactionid = i.interactionid
ORDER BY i.closedat, i.interactionid
