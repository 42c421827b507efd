-- last_decisions.sql — the latest recorded decision of each deployment (by sequence number).
-- Parameters: $ids VARCHAR[].
SELECT deployment, week, decision, decided_by, decided_at, next_review
FROM decisions
WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
QUALIFY row_number() OVER (PARTITION BY deployment ORDER BY seq DESC) = 1
