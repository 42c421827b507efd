-- pg_has_data.sql — whether the database holds any usage, feedback, cost or incident record (the
-- dashboard's empty state). No parameters.
SELECT EXISTS (SELECT 1 FROM usage_rollup) OR EXISTS (SELECT 1 FROM feedback_rollup)
       OR EXISTS (SELECT 1 FROM cost_records) OR EXISTS (SELECT 1 FROM incidents) AS has_data
