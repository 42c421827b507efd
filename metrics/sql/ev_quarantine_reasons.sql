-- ev_quarantine_reasons.sql — how many rows were quarantined for each reason (the "line N: " prefix
-- removed), most first. Grain: kind × reason. No parameters.
SELECT kind, regexp_replace(reason, '^line [0-9]+: ', '') AS reason, count(*) AS rows,
       count(DISTINCT file) AS files, min(file) AS example_file, min(line) AS example_line
FROM quarantine
GROUP BY ALL
ORDER BY rows DESC, kind, reason
