-- status_read_days.sql — the UTC days on which each deployment's app read its operating status (an ok
-- read through OFREP, DESIGN §14), for the readiness item `pause`. Grain: deployment × day.
-- Parameters: $ids VARCHAR[].
SELECT deployment, CAST(read_at AS DATE) AS day
FROM status_reads
WHERE outcome = 'ok' AND deployment IN (SELECT unnest($ids::VARCHAR[]))
GROUP BY ALL
ORDER BY ALL
