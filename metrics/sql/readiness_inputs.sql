-- readiness_inputs.sql — every readiness record of the deployments read, in the order they were
-- recorded (the latest per item stands; metrics.readiness picks it per review meeting). Small: a few
-- records per item. Grain: one row per record. Parameters: $ids VARCHAR[].
SELECT r.deployment, r.item, r.status, r.evidence, r.evidence_date, r.reviewed_by, r.expires, r.source,
       r.recorded_at, coalesce(u.who, '') AS recorded_by
FROM readiness_records r
LEFT JOIN ingest_runs u USING (run_id)
WHERE r.deployment IN (SELECT unnest($ids::VARCHAR[]))
ORDER BY r.deployment, r.recorded_at, r.line
