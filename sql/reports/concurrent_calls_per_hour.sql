-- title: Concurrent calls per hour
-- description: Calls in progress (from creation to end) in each hour (UTC): the peak at any instant and
--   the average over the hour. A call still in progress counts up to now; one ending as another starts
--   does not overlap it.
-- params: tenant, from, to
-- chart: hour -> peak_calls, avg_calls
WITH calls AS (
  SELECT c.created_at AS s, COALESCE(c.ended_at, now()) AS e
  FROM call c
  WHERE c.created_at < :to AND COALESCE(c.ended_at, now()) > :from
    AND (:tenant IS NULL OR c.tenant_id = :tenant)
),
hours AS (
  SELECT h AT TIME ZONE 'UTC' AS h
  FROM generate_series(date_trunc('hour', :from AT TIME ZONE 'UTC'),
                       (:to AT TIME ZONE 'UTC') - interval '1 microsecond',
                       interval '1 hour') AS h
),
events AS (
  SELECT s AS t, 1 AS d FROM calls
  UNION ALL
  SELECT e AS t, -1 AS d FROM calls
),
running AS (
  -- ends sort before starts at the same instant
  SELECT t, sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM events
)
SELECT to_char(hours.h AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00') AS hour,
       GREATEST(
         (SELECT count(*) FROM calls WHERE s <= hours.h AND e > hours.h),
         COALESCE((SELECT max(n) FROM running WHERE t >= hours.h AND t < hours.h + interval '1 hour'), 0)
       )::bigint AS peak_calls,
       round(COALESCE((SELECT sum(extract(epoch FROM LEAST(e, hours.h + interval '1 hour') - GREATEST(s, hours.h)))
                       FROM calls
                       WHERE s < hours.h + interval '1 hour' AND e > hours.h), 0) / 3600.0, 2) AS avg_calls
FROM hours
ORDER BY hours.h
