-- pg_negative_comments.sql — negative feedback rows (pl_negative_feedback) that carry a comment, newest
-- first. Grain: one feedback row. Parameters: $dep VARCHAR, $start, $end TIMESTAMP (UTC), $limit BIGINT.
SELECT ts, source, rating, thumbs, accepted, rework_minutes, comment
FROM feedback_loaded
WHERE deployment = $dep AND ts >= $start AND ts < $end
  AND pl_negative_feedback(rating, thumbs) AND comment IS NOT NULL AND trim(comment) <> ''
ORDER BY ts DESC
LIMIT $limit
