-- ev_quarantine_reasons.sql — how many source rows were quarantined for each reason (the "line N: "
-- prefix removed), most first; a row that several ingests met counts once. Grain: kind × field × reason.
-- No parameters.
SELECT kind, field, regexp_replace(reason, '^line [0-9]+: ', '') AS reason,
       count(DISTINCT coalesce(source_key, md5_number(run_id || line))) AS rows,
       count(DISTINCT file) AS files, min(file) AS example_file, min(line) AS example_line
FROM quarantine
GROUP BY ALL
ORDER BY rows DESC, kind, reason
