-- pg_has_usage.sql — whether any usage event is stored (the dashboard's empty state). No parameters.
SELECT EXISTS (SELECT 1 FROM usage_events) AS has_usage
