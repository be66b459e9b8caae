-- title: DID usage by segment
-- description: For each segment (pool) of numbers: how many DIDs it has, how many can be used, and their
--   total, average and maximum usage count (calls placed with them as caller ID), as the old monitoring
--   query reported it.
-- params: tenant, segment
SELECT d.segment,
       count(*)                                                    AS total_dids,
       count(*) FILTER (WHERE d.status IN ('active', 'available')) AS usable_dids,
       sum(d.usage_count)                                          AS total_usage,
       round(avg(d.usage_count), 2)                                AS avg_usage,
       max(d.usage_count)                                          AS max_usage
FROM did d
WHERE (:tenant IS NULL OR d.tenant_id = :tenant)
  AND (:segment IS NULL OR d.segment = :segment)
GROUP BY d.segment
ORDER BY d.segment
