-- classify.sql: which valid rows of a file are duplicates or conflicts (DESIGN §4 "Idempotent").
-- Grain: one row per valid file row whose identity occurs more than once in the file or is already
-- stored; rows not listed here are new. {v} is the validated file (validate.sql), {multi} the
-- identities seen more than once in it (with the first line and its content), {seen} the stored
-- identities with every content hash stored for them and the run that first loaded them (its start
-- and file: first_started, first_file).
-- {same_key} is true when a later row repeats an earlier one: same identity and same content; for
-- incidents any earlier row with the same content counts, and a different content is a new version.
SELECT *
FROM (
    SELECT
        v.__row,
        v.__line,
        CASE
            WHEN m.first_line IS NOT NULL AND v.__line > m.first_line AND {same_key} THEN 'duplicate'
            WHEN m.first_line IS NOT NULL AND v.__line > m.first_line AND {conflicts} THEN 'conflict'
            WHEN s.hashes IS NOT NULL AND list_contains(s.hashes, v.content_hash) THEN 'duplicate'
            WHEN s.hashes IS NOT NULL AND {conflicts} THEN 'conflict'
        END AS status,
        CASE
            WHEN m.first_line IS NOT NULL AND v.__line > m.first_line
                THEN 'line ' || v.__line || ': ' || $id_name || ' "' || {id_value} || '" appeared on line '
                     || m.first_line || ' with other values'
            ELSE 'line ' || v.__line || ': ' || $id_name || ' "' || {id_value} || '" was loaded on '
                 || coalesce(strftime(s.first_started, '%Y-%m-%d'), '?') || ' from '
                 || coalesce(regexp_extract(s.first_file, '[^/\\]+$'), '?') || ' with other values'
        END AS conflict_reason
    FROM {v} v
    LEFT JOIN {multi} m ON {multi_join}
    LEFT JOIN {seen} s ON s.identity = v.identity
    WHERE v.__reason IS NULL AND (m.identity IS NOT NULL OR s.identity IS NOT NULL)
)
WHERE status IS NOT NULL
