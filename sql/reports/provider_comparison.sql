-- title: Asterisk and Twilio side by side
-- description: The evidence to raise a tenant's Asterisk share: per tenant and telephony provider (call.provider),
--   the calls created in the period: answered and the answered rate, the calls that did not connect by outcome
--   (failures, a JSON object outcome -> calls), greeting latency (agent connected to its first audio) and barge-in
--   stop time as p50/p95 in ms, what answering-machine detection found (human, machine, unknown), then the cost
--   ledger's figures for those calls (priced costs.settle after they end; priced_calls says how many are in): talk
--   minutes (answer to end) and the minutes the provider billed (Twilio rounds each call up to a whole minute),
--   carrier cost, recording and transcription cost, OpenAI Realtime tokens by kind and their cost, the total and
--   the total per answered minute. other_provider_cost is what the same calls' carrier and recording would have
--   cost on the other provider; saved_if_moved (Twilio rows) is what moving them to Asterisk would have saved,
--   saved_vs_twilio (Asterisk rows) what carrying them on Asterisk saved. US dollars.
-- params: tenant, from, to
WITH calls AS (
  SELECT c.tenant_id,
         c.provider,
         c.answered_at IS NOT NULL AND c.state <> 'failed'                                   AS answered,
         -- over (ended or failed) and never connected; a call still ringing is neither
         (c.ended_at IS NOT NULL OR c.state = 'failed')
           AND NOT (c.answered_at IS NOT NULL AND c.state <> 'failed')                       AS not_connected,
         coalesce(c.outcome, 'unknown')                                                      AS outcome,
         CASE WHEN c.first_audio_at >= c.agent_connected_at
              THEN extract(epoch FROM c.first_audio_at - c.agent_connected_at) * 1000 END    AS greeting_ms,
         c.barge_in_max_stop_ms,
         c.voicemail_result,
         c.rt_text_in_tokens, c.rt_audio_in_tokens, c.rt_cached_text_in_tokens, c.rt_cached_audio_in_tokens,
         c.rt_text_out_tokens, c.rt_audio_out_tokens,
         k.call_id IS NOT NULL                                                               AS priced,
         k.billed_seconds,
         CASE k.provider WHEN 'twilio' THEN k.twilio_minutes ELSE k.billed_seconds / 60.0 END AS billed_minutes,
         k.carrier_cost, k.recording_cost, k.transcription_cost, k.realtime_cost,
         CASE k.provider WHEN 'twilio' THEN k.asterisk_cost ELSE k.twilio_cost END           AS other_cost
  FROM call c
  LEFT JOIN call_cost k ON k.call_id = c.id
  WHERE c.created_at >= :from AND c.created_at < :to
    AND (:tenant IS NULL OR c.tenant_id = :tenant)
),
failures AS (
  SELECT f.tenant_id, f.provider, jsonb_object_agg(f.outcome, f.calls) AS by_outcome
  FROM (SELECT tenant_id, provider, outcome, count(*) AS calls
          FROM calls WHERE not_connected GROUP BY tenant_id, provider, outcome) f
  GROUP BY f.tenant_id, f.provider
),
totals AS (
  SELECT tenant_id,
         provider,
         count(*)                                                                            AS calls,
         count(*) FILTER (WHERE answered)                                                    AS answered,
         round(100.0 * count(*) FILTER (WHERE answered) / count(*), 1)                       AS answered_pct,
         round(percentile_cont(0.50) WITHIN GROUP (ORDER BY greeting_ms))::bigint            AS greeting_p50_ms,
         round(percentile_cont(0.95) WITHIN GROUP (ORDER BY greeting_ms))::bigint            AS greeting_p95_ms,
         round(percentile_cont(0.50) WITHIN GROUP (ORDER BY barge_in_max_stop_ms))::bigint   AS barge_in_stop_p50_ms,
         round(percentile_cont(0.95) WITHIN GROUP (ORDER BY barge_in_max_stop_ms))::bigint   AS barge_in_stop_p95_ms,
         count(*) FILTER (WHERE voicemail_result = 'human')                                  AS amd_human,
         count(*) FILTER (WHERE voicemail_result = 'machine')                                AS amd_machine,
         count(*) FILTER (WHERE voicemail_result = 'unknown')                                AS amd_unknown,
         count(*) FILTER (WHERE priced)                                                      AS priced_calls,
         coalesce(sum(billed_seconds), 0) / 60.0                                             AS talk_minutes,
         coalesce(sum(billed_minutes), 0)                                                    AS billed_minutes,
         coalesce(sum(carrier_cost), 0)                                                      AS carrier_cost,
         coalesce(sum(recording_cost + transcription_cost), 0)                               AS recording_transcription_cost,
         sum(rt_text_in_tokens)::bigint                                                            AS rt_text_in_tokens,
         sum(rt_audio_in_tokens)::bigint                                                           AS rt_audio_in_tokens,
         sum(rt_cached_text_in_tokens + rt_cached_audio_in_tokens)::bigint                   AS rt_cached_in_tokens,
         sum(rt_text_out_tokens)::bigint                                                           AS rt_text_out_tokens,
         sum(rt_audio_out_tokens)::bigint                                                          AS rt_audio_out_tokens,
         coalesce(sum(realtime_cost), 0)                                                     AS realtime_cost,
         coalesce(sum(other_cost), 0)                                                        AS other_provider_cost,
         coalesce(sum(carrier_cost + recording_cost), 0)                                     AS provider_cost
  FROM calls
  GROUP BY tenant_id, provider
)
SELECT t.tenant_id,
       t.provider,
       t.calls,
       t.answered,
       t.answered_pct,
       coalesce(f.by_outcome, '{}'::jsonb)                                                   AS failures,
       t.greeting_p50_ms,
       t.greeting_p95_ms,
       t.barge_in_stop_p50_ms,
       t.barge_in_stop_p95_ms,
       t.amd_human,
       t.amd_machine,
       t.amd_unknown,
       t.priced_calls,
       round(t.talk_minutes, 2)                                                              AS talk_minutes,
       round(t.billed_minutes, 2)                                                            AS billed_minutes,
       round(t.carrier_cost, 4)                                                              AS carrier_cost,
       round(t.recording_transcription_cost, 4)                                              AS recording_transcription_cost,
       t.rt_text_in_tokens,
       t.rt_audio_in_tokens,
       t.rt_cached_in_tokens,
       t.rt_text_out_tokens,
       t.rt_audio_out_tokens,
       round(t.realtime_cost, 4)                                                             AS realtime_cost,
       round(t.carrier_cost + t.recording_transcription_cost + t.realtime_cost, 4)           AS total_cost,
       round((t.carrier_cost + t.recording_transcription_cost + t.realtime_cost)
             / nullif(t.talk_minutes, 0), 4)                                                 AS cost_per_answered_minute,
       round(t.other_provider_cost, 4)                                                       AS other_provider_cost,
       CASE t.provider WHEN 'twilio' THEN round(t.provider_cost - t.other_provider_cost, 4) END AS saved_if_moved,
       CASE t.provider WHEN 'asterisk' THEN round(t.other_provider_cost - t.provider_cost, 4) END AS saved_vs_twilio
FROM totals t
LEFT JOIN failures f ON f.tenant_id = t.tenant_id AND f.provider = t.provider
ORDER BY t.tenant_id, t.provider
