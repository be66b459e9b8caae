-- title: Concurrent calls per hour
-- description: Calls in progress (from creation to end) in each hour (UTC): the peak at any instant and
--   the average over the hour. A call still in progress counts up to now; one ending as another starts
--   does not overlap it.
-- params: tenant, from, to
-- chart: hour -> peak_calls, avg_calls
WITH hours AS (
  SELECT h AT TIME ZONE 'UTC' AS h
  FROM generate_series(date_trunc('hour', :from AT TIME ZONE 'UTC'),
                       (:to AT TIME ZONE 'UTC') - interval '1 microsecond',
                       interval '1 hour') AS h
),
span AS (
  SELECT min(h) AS lo, max(h) + interval '1 hour' AS hi FROM hours
),
calls AS (
  SELECT GREATEST(c.created_at, span.lo) AS s, LEAST(COALESCE(c.ended_at, now()), span.hi) AS e
  FROM call c CROSS JOIN span
  WHERE c.created_at < span.hi AND COALESCE(c.ended_at, now()) > span.lo
    AND (:tenant IS NULL OR c.tenant_id = :tenant)
),
-- one pass over the calls' starts (+1) and ends (-1), with a marker (0) at every hour so that each step
-- of the running count lies within one hour
events AS (
  SELECT s AS t, 1 AS d FROM calls WHERE e > s
  UNION ALL SELECT e, -1 FROM calls WHERE e > s
  UNION ALL SELECT h, 0 FROM hours
  UNION ALL SELECT hi, 0 FROM span
),
running AS (
  -- at the same instant ends come first, then the hour marker, then starts
  SELECT date_trunc('hour', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS h,
         sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n,
         lead(t) OVER (ORDER BY t, d) - t AS lasts
  FROM events
)
SELECT to_char(hours.h AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00')              AS hour,
       max(r.n)::bigint                                                    AS peak_calls,
       round(COALESCE(sum(r.n * extract(epoch FROM r.lasts)), 0) / 3600.0, 2) AS avg_calls
FROM hours
JOIN running r ON r.h = hours.h
GROUP BY hours.h
ORDER BY hours.h
