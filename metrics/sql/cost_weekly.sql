-- cost_weekly.sql — cost records spread evenly over the days they cover (period_start..period_end,
-- inclusive) and summed per deployment, week index of each local calendar day, and category.
-- Parameters: $ids VARCHAR[].
WITH days AS (
    SELECT deployment, category,
           amount_reporting / (date_diff('day', period_start, period_end) + 1) AS per_day,
           unnest(generate_series(period_start, period_end, INTERVAL 1 DAY))::DATE AS day
    FROM cost_records
    WHERE deployment IN (SELECT unnest($ids::VARCHAR[]))
      AND period_end >= period_start
)
SELECT deployment,
       (date_diff('day', DATE '1970-01-01', day) + 3) // 7 AS wk,
       category,
       sum(per_day) AS amount,
       count(*) AS record_days
FROM days
GROUP BY ALL
ORDER BY deployment, wk, category
