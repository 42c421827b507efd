-- pg_has_usage.sql — whether the weekly rollup holds any usage (the dashboard's empty state). No parameters.
SELECT EXISTS (SELECT 1 FROM usage_rollup) AS has_usage
