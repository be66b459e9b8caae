-- title: Failing trunks
-- description: Trunks (the PJSIP endpoint of the call's DID) with calls that ended in the failed state,
--   worst first: calls, failed calls, unanswered calls, the failure rate, the most frequent hangup cause
--   of the failures and when the last one happened.
-- params: tenant, from, to
SELECT COALESCE(d.trunk, '(no DID)')                                                  AS trunk,
       count(*)                                                                       AS calls,
       count(*) FILTER (WHERE c.state = 'failed')                                     AS failed,
       count(*) FILTER (WHERE c.state = 'ended' AND c.answered_at IS NULL)            AS unanswered,
       round(100.0 * count(*) FILTER (WHERE c.state = 'failed') / count(*), 1)        AS failure_pct,
       mode() WITHIN GROUP (ORDER BY c.hangup_cause) FILTER (WHERE c.state = 'failed') AS top_cause,
       max(COALESCE(c.ended_at, c.created_at)) FILTER (WHERE c.state = 'failed')       AS last_failure_at
FROM call c
LEFT JOIN did d ON d.id = c.did_id
WHERE c.created_at >= :from AND c.created_at < :to
  AND (:tenant IS NULL OR c.tenant_id = :tenant)
GROUP BY 1
HAVING count(*) FILTER (WHERE c.state = 'failed') > 0
ORDER BY failure_pct DESC, failed DESC, trunk
