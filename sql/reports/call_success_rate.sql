-- title: Call success rate by day, direction and tenant
-- description: Calls created each day (UTC) and how many succeeded (answered, and not ended as failed).
--   failed counts calls that ended in the failed state; the others were not answered (busy, no answer,
--   caller gone) or are still ringing.
-- params: tenant, from, to
SELECT (c.created_at AT TIME ZONE 'UTC')::date                                       AS day,
       c.direction,
       c.tenant_id,
       count(*)                                                                      AS calls,
       count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.state <> 'failed')     AS succeeded,
       count(*) FILTER (WHERE c.state = 'failed')                                    AS failed,
       round(100.0 * count(*) FILTER (WHERE c.answered_at IS NOT NULL AND c.state <> 'failed')
             / count(*), 1)                                                          AS success_pct
FROM call c
WHERE c.created_at >= :from AND c.created_at < :to
  AND (:tenant IS NULL OR c.tenant_id = :tenant)
GROUP BY 1, 2, 3
ORDER BY 1, 3, 2
