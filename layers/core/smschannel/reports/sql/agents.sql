-- The agent report: one row per {{groupBy}} (agent, team, day or hour) of the interactions an agent handled that
-- closed from {{from}} to {{to}} (local dates), credited to the agent holding them at the close. Metrics as
-- docs/reports.md defines them; a fact delivered twice counts once (one row per interaction: its latest revision, the wrap-up's once recorded).
WITH interactions AS (
    SELECT *
    FROM (
        SELECT f.*, row_number() OVER (PARTITION BY f.interactionid ORDER BY f.revision DESC) AS copy
        FROM interaction_facts f
        WHERE f.dt BETWEEN '{{from}}' AND '{{to}}' AND f.handled{{filters}}
    ) AS deduplicated
    WHERE copy = 1
),
messages AS (
    SELECT DISTINCT m.factid, m.interactionid, m.messageid, m.direction, m.status, m.sender, m.segments, m.createdepoch
    FROM message_facts m
    WHERE m.dt BETWEEN '{{messagesFrom}}' AND '{{messagesTo}}' AND m.direction = 'out'
),
per_interaction AS (
    SELECT
        interactionid,
        min(CASE WHEN status = 'queued' AND sender LIKE 'agent:%' THEN createdepoch END) AS firstagentreplyepoch,
        count(DISTINCT CASE WHEN status = 'queued' AND sender LIKE 'agent:%' THEN messageid END) AS agentreplies,
        sum(CASE WHEN status = 'queued' THEN segments ELSE 0 END) AS segmentsout,
        count(DISTINCT CASE WHEN status IN ('failed', 'undelivered') THEN messageid END) AS deliveryfailures
    FROM messages
    GROUP BY interactionid
)
SELECT
    {{group}} AS group_key,
    count(*) AS handled,
    CAST(round(CAST(avg(i.waitedseconds) AS DECIMAL(18, 6)), 1) AS double) AS average_speed_of_answer,
    CAST(round(CAST(avg(coalesce(i.firstreplyepoch, p.firstagentreplyepoch) - i.createdepoch) AS DECIMAL(18, 6)), 1) AS double) AS average_first_response,
    CAST(round(CAST(avg(
        coalesce(i.handleseconds, i.closedepoch - i.assignedepoch) + coalesce(i.wrapupseconds, 0)
    ) AS DECIMAL(18, 6)), 1) AS double) AS average_handle_time,
    CAST(round(CAST(avg(coalesce(i.wrapupseconds, 0)) AS DECIMAL(18, 6)), 1) AS double) AS average_wrap_up,
    sum(i.transfers) AS transfers,
    sum(coalesce(p.agentreplies, 0)) AS agent_replies,
    sum(i.messagesout) AS messages_out,
    sum(greatest(coalesce(p.segmentsout, 0), i.segmentsout)) AS segments_out,
    sum(greatest(coalesce(p.deliveryfailures, 0), i.deliveryfailures)) AS delivery_failures
FROM interactions i
LEFT JOIN per_interaction p ON p.interactionid = i.interactionid
GROUP BY {{group}}
ORDER BY 1
