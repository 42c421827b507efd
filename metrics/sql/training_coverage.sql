-- training_coverage.sql — how many training records apply to each deployment read (its own, plus those
-- valid for every deployment): none means untrained_use_share is unknown, not 100% (DESIGN §15).
-- Grain: deployment. Parameters: $ids VARCHAR[].
SELECT d.deployment, count(t.user_id) AS records
FROM (SELECT unnest($ids::VARCHAR[]) AS deployment) d
LEFT JOIN training_records t ON t.deployment IS NULL OR t.deployment = d.deployment
GROUP BY d.deployment
