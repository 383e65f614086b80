-- The queue report: one row per {{groupBy}} (queue, account, team, day or hour) of the interactions closed from
-- {{from}} to {{to}} (local dates). Metrics as docs/reports.md defines them; a fact delivered twice counts once
-- (one row per interaction: its latest revision, the wrap-up's once recorded). Runs on Athena (Trino) and on the emulator's DuckDB alike: portable SQL only.
-- Figures are rounded as decimals (CAST to DECIMAL(18, 6), round, back to double): the two engines round a double
-- differently at a half (Trino 0.35 -> 0.4, DuckDB 0.3), a decimal alike (half up); the dashboard's tiles too.
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
    SELECT DISTINCT m.factid, m.interactionid, m.messageid, m.direction, m.status, m.sender, m.segments, m.createdepoch, m.optout
    FROM message_facts m
    WHERE m.dt BETWEEN '{{messagesFrom}}' AND '{{messagesTo}}'
),
per_interaction AS (
    SELECT
        interactionid,
        min(CASE WHEN direction = 'out' AND status = 'queued' AND sender LIKE 'agent:%' THEN createdepoch END) AS firstagentreplyepoch,
        sum(CASE WHEN direction = 'out' AND status = 'queued' THEN segments ELSE 0 END) AS segmentsout,
        sum(CASE WHEN direction = 'in' THEN segments ELSE 0 END) AS segmentsin,
        count(DISTINCT CASE WHEN direction = 'out' AND status = 'queued' THEN messageid END) AS repliesstored,
        count(DISTINCT CASE WHEN direction = 'out' AND status IN ('failed', 'undelivered') THEN messageid END) AS deliveryfailures,
        count(DISTINCT CASE WHEN direction = 'out' AND status = 'queued' AND optout THEN messageid END) AS optouts
    FROM messages
    GROUP BY interactionid
)
SELECT
    {{group}} AS group_key,
    count(*) AS offered,
    sum(CASE WHEN i.handled THEN 1 ELSE 0 END) AS handled,
    sum(CASE WHEN i.abandoned THEN 1 ELSE 0 END) AS abandoned,
    sum(CASE WHEN i.triggerhandled THEN 1 ELSE 0 END) AS trigger_handled,
    sum(CASE WHEN i.queuetimedout THEN 1 ELSE 0 END) AS queue_timed_out,
    sum(CASE WHEN i.handled AND i.waitedseconds <= {{serviceLevelSeconds}} THEN 1 ELSE 0 END) AS answered_within_service_level,
    CAST(round(CAST(
        CAST(sum(CASE WHEN i.handled AND i.waitedseconds <= {{serviceLevelSeconds}} THEN 1 ELSE 0 END) AS double)
        / nullif(sum(CASE WHEN i.handled OR i.abandoned THEN 1 ELSE 0 END), 0) AS DECIMAL(18, 6)), 4) AS double) AS service_level,
    CAST(round(CAST(avg(CASE WHEN i.handled THEN i.waitedseconds END) AS DECIMAL(18, 6)), 1) AS double) AS average_speed_of_answer,
    max(CASE WHEN i.handled OR i.abandoned THEN i.waitedseconds END) AS longest_wait,
    CAST(round(CAST(avg(coalesce(i.firstreplyepoch, p.firstagentreplyepoch) - i.createdepoch) AS DECIMAL(18, 6)), 1) AS double) AS average_first_response,
    CAST(round(CAST(avg(CASE WHEN i.handled THEN
        coalesce(i.handleseconds, i.closedepoch - i.assignedepoch) + coalesce(i.wrapupseconds, 0)
    END) AS DECIMAL(18, 6)), 1) AS double) AS average_handle_time,
    sum(i.transfers) AS transfers,
    sum(i.messagesin) AS messages_in,
    sum(i.messagesout) AS messages_out,
    sum(coalesce(p.segmentsin, 0)) AS segments_in,
    sum(greatest(coalesce(p.segmentsout, 0), i.segmentsout)) AS segments_out,
    sum(greatest(coalesce(p.deliveryfailures, 0), i.deliveryfailures)) AS delivery_failures,
    CAST(round(CAST(
        CAST(sum(greatest(coalesce(p.deliveryfailures, 0), i.deliveryfailures)) AS double)
        / nullif(sum(coalesce(p.repliesstored, 0)), 0) AS DECIMAL(18, 6)), 4) AS double) AS delivery_failure_rate,
    sum(coalesce(p.optouts, 0)) AS opt_outs
FROM interactions i
LEFT JOIN per_interaction p ON p.interactionid = i.interactionid
GROUP BY {{group}}
ORDER BY 1
