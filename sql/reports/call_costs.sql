-- title: Call costs per tenant
-- description: What the calls that ended in the period cost, per tenant, from the cost ledger (call_cost): billed
--   minutes by direction, the carrier's price for them (costs.* rates), the OpenAI Realtime tokens' price, and the
--   total; beside it what the same calls would have cost on Twilio (its list prices, each call rounded up to a
--   whole minute, plus recording minutes) with the same Realtime cost, and the difference. US dollars. Calls are
--   priced costs.settle after they end, so the newest minute of calls is not in yet.
-- params: tenant, from, to
SELECT k.tenant_id,
       count(*)                                                                           AS calls,
       round(sum(k.billed_seconds) FILTER (WHERE k.direction = 'inbound') / 60.0, 2)      AS inbound_minutes,
       round(sum(k.billed_seconds) FILTER (WHERE k.direction = 'outbound') / 60.0, 2)     AS outbound_minutes,
       round(sum(k.carrier_cost), 4)                                                      AS carrier_cost,
       round(sum(k.realtime_cost), 4)                                                     AS realtime_cost,
       round(sum(k.carrier_cost + k.realtime_cost), 4)                                    AS total_cost,
       sum(k.twilio_minutes)                                                              AS twilio_minutes,
       round(sum(k.twilio_cost), 4)                                                       AS twilio_carrier_cost,
       round(sum(k.twilio_cost + k.realtime_cost), 4)                                     AS twilio_total_cost,
       round(sum(k.twilio_cost - k.carrier_cost), 4)                                      AS saved_vs_twilio
FROM call_cost k
WHERE k.ended_at >= :from AND k.ended_at < :to
  AND (:tenant IS NULL OR k.tenant_id = :tenant)
GROUP BY k.tenant_id
ORDER BY k.tenant_id
