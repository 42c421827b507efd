-- decision_dates.sql — when each decision of the deployments read was taken and the next review it set,
-- oldest first (the readiness item `monitoring`: is a review overdue). Parameters: $ids VARCHAR[].
SELECT deployment, decided_at, next_review
FROM decisions
WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY seq
