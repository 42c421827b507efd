-- ev_decision_followups.sql — the follow-ups of pauses and stops (who was told, ticked by whom, when),
-- with their decision, newest first. Parameters: $dep VARCHAR (NULL: every deployment).
SELECT f.seq, f.decision_seq, d.deployment, d.week, d.decision, f.kind, f.item, f.recorded_by,
       f.recorded_at, f.hash
FROM decision_followups f
JOIN decisions d ON d.seq = f.decision_seq
WHERE $dep IS NULL OR d.deployment = $dep
ORDER BY f.seq DESC
