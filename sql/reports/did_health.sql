-- title: DID health
-- description: Each DID with its status, whether number health has it in quarantine (until when and why) or an
--   operator pinned it, and its outbound calls in the period: calls, answer rate, short-call ratio (answered
--   calls under 12 s), voicemail rate and the most frequent failure. Worst answer rate first. The quarantine
--   itself judges a rolling window (did.health.window) with the tenant's thresholds; this report lets an admin
--   look at any period.
-- params: tenant, segment, from, to
SELECT d.number,
       d.segment,
       d.status,
       CASE WHEN d.quarantined_until > now() THEN 'quarantined'
            WHEN d.health_pinned THEN 'pinned' ELSE 'ok' END                                 AS health,
       d.quarantined_until,
       d.quarantine_reason,
       count(c.id)                                                                         AS calls,
       round(100.0 * count(c.id) FILTER (WHERE c.answered_at IS NOT NULL)
             / nullif(count(c.id), 0), 1)                                                  AS answer_pct,
       round(100.0 * count(c.id) FILTER (WHERE c.answered_at IS NOT NULL
                                          AND c.ended_at - c.answered_at < interval '12 seconds')
             / nullif(count(c.id) FILTER (WHERE c.answered_at IS NOT NULL), 0), 1)         AS short_call_pct,
       round(100.0 * count(c.id) FILTER (WHERE c.answered_at IS NOT NULL
                                          AND (c.voicemail_result = 'machine'
                                               OR c.outcome IN ('machine_hangup', 'voicemail')))
             / nullif(count(c.id) FILTER (WHERE c.answered_at IS NOT NULL), 0), 1)         AS voicemail_pct,
       mode() WITHIN GROUP (ORDER BY c.outcome) FILTER (WHERE c.answered_at IS NULL)       AS top_failure
FROM did d
LEFT JOIN call c ON c.did_id = d.id AND c.direction = 'outbound' AND c.state IN ('ended', 'failed')
                AND c.created_at >= :from AND c.created_at < :to
WHERE (:tenant IS NULL OR d.tenant_id = :tenant)
  AND (:segment IS NULL OR d.segment = :segment)
GROUP BY d.id
ORDER BY answer_pct ASC NULLS LAST, d.number
