-- ev_decision_snapshot.sql — the review JSON recorded with one decision. Parameters: $seq BIGINT.
SELECT snapshot FROM decisions WHERE seq = $seq
