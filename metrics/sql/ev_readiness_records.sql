-- ev_readiness_records.sql — the readiness records of one deployment, newest first (the Readiness page's
-- history; records are append-only). Parameters: $dep VARCHAR.
SELECT r.item, r.status, r.evidence, r.evidence_date, r.expires, r.reviewed_by,
       u.who AS recorded_by, r.source, r.recorded_at
FROM readiness_records r
LEFT JOIN ingest_runs u USING (run_id)
WHERE r.deployment = $dep
ORDER BY r.recorded_at DESC, r.line DESC
