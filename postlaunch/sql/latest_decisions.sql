-- latest_decisions.sql — each deployment's latest decision record (its operating mode, DESIGN §14).
-- Grain: deployment. No parameters.
SELECT deployment, seq, week, decision, decided_by, decided_at, rationale
FROM decisions
QUALIFY row_number() OVER (PARTITION BY deployment ORDER BY seq DESC) = 1
