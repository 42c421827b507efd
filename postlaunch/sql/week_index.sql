-- week_index.sql — the local ISO week index of `s`, an expression spliced where a query writes
-- WEEK_INDEX (postlaunch.sqlfiles.sql_text). `s` = epoch seconds of the UTC timestamp + $off_min + 259200
-- (the zone's smallest offset in the span, and the shift from Thursday 1970-01-01 to a Monday).
-- The integer week of `s` moves one week on when the instant lies within the true boundary's extra
-- offset of the next week ($max_delta; $bound_wk/$bound_delta list those boundaries): DST-correct,
-- and only rows in the last hour(s) of a summer-time week take the list lookup (metrics.weeks.tz_params).
s // 604800
  + CASE WHEN s % 604800 >= 604800 - $max_delta
          AND s % 604800 >= 604800 - coalesce(
                list_extract($bound_delta::BIGINT[], list_position($bound_wk::BIGINT[], s // 604800 + 1)), 0)
         THEN 1 ELSE 0 END
