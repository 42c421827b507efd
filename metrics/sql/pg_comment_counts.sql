-- pg_comment_counts.sql — negative comments grouped by their text, most frequent first (repeated
-- complaints stand out). Grain: one distinct comment. Parameters: $dep VARCHAR, $start, $end TIMESTAMP.
SELECT comment, count(*) AS times, min(ts) AS first_seen, max(ts) AS last_seen
FROM feedback_loaded
WHERE deployment = $dep AND ts >= $start AND ts < $end
  AND pl_negative_feedback(rating, thumbs) AND comment IS NOT NULL AND trim(comment) <> ''
GROUP BY comment
ORDER BY times DESC, comment
LIMIT 50
