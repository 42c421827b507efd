-- ev_status_reads.sql — the latest reads of the operating-status endpoints, newest first.
-- Parameters: $dep VARCHAR (NULL: every deployment), $limit INTEGER.
SELECT read_at, deployment, flag_key, outcome, mode, decision_seq, key_id, client
FROM status_reads
WHERE $dep IS NULL OR deployment = $dep
ORDER BY read_at DESC
LIMIT $limit
