-- first_status_read.sql — when the app first read the mode a decision set: the earliest ok status read
-- of the deployment that answered that decision, at or after it was decided (the acknowledgement of a
-- pause or stop, DESIGN §14). Parameters: $dep VARCHAR, $seq BIGINT, $since TIMESTAMP (UTC).
SELECT min(read_at) AS first_read
FROM status_reads
WHERE outcome = 'ok' AND deployment = $dep AND decision_seq = $seq AND read_at >= $since
HAVING count(*) > 0
