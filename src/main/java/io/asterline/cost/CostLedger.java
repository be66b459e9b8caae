package io.asterline.cost;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;

/**
 * Prices the calls that ended: one row in {@code call_cost} per call, on the provider that carried it and on the
 * other one. An Asterisk call: its billed seconds (answer to end) times its SIP trunk's rate; a Twilio call: its
 * minutes, each call rounded up to a whole one as Twilio bills, times Twilio's rate, plus Twilio's recording fee
 * when Twilio records ({@code costs.twilio.records-calls}). Every row also keeps the same call on Twilio
 * ({@code twilio_cost}) and on the SIP trunk ({@code asterisk_cost}: the outbound call's trunk, else its number's,
 * else the defaults), the transcription of its recording when the recording is transcribed, and the Realtime tokens
 * the agent stored with its outcome times the model prices. One statement, {@code INSERT ... SELECT ... ON CONFLICT
 * DO NOTHING}: any number of nodes may run it at once and each call is priced exactly once, with the rates in force
 * then (a later change of rates prices later calls only).
 */
public final class CostLedger {

  // calls only after costs.settle: the agent's outcome (its usage) is stored as its leg ends, and a caller's
  // hangup may run call-end on Asterisk's side a moment before that store lands.
  // Transcribed: the recording job's transcribe step decided (done, or skipped because the tenant has it off); a
  // job still on its way follows the tenant's setting, as its transcribe step will; a failed job transcribed nothing.
  private static final String PRICE = """
      WITH r AS (
        SELECT ?::numeric AS audio_in, ?::numeric AS text_in, ?::numeric AS cached_in, ?::numeric AS audio_out,
               ?::numeric AS text_out, ?::numeric AS twilio_in, ?::numeric AS twilio_out,
               ?::numeric AS twilio_recording, ?::boolean AS twilio_records, ?::numeric AS transcription,
               ?::text[] AS trunks, ?::numeric[] AS trunk_in, ?::numeric[] AS trunk_out,
               ?::numeric AS sip_in, ?::numeric AS sip_out, ?::interval AS settle, ?::interval AS lookback)
      INSERT INTO call_cost (call_id, tenant_id, provider, direction, trunk, ended_at, billed_seconds, recorded,
                             transcribed, carrier_per_minute, carrier_cost, recording_cost, transcription_cost,
                             realtime_cost, twilio_minutes, twilio_cost, asterisk_per_minute, asterisk_cost)
      SELECT c.id, c.tenant_id, c.provider, c.direction, t.trunk, c.ended_at, t.secs, t.recorded, t.transcribed,
             CASE WHEN t.twilio THEN q.twilio_rate ELSE q.sip_rate END,
             CASE WHEN t.twilio THEN p.twilio_minutes_cost ELSE p.sip_cost END,
             CASE WHEN t.twilio AND t.recorded AND r.twilio_records THEN p.twilio_recording_cost ELSE 0 END,
             CASE WHEN t.transcribed THEN round(t.secs * r.transcription / 60, 6) ELSE 0 END,
             round((greatest(c.rt_audio_in_tokens - c.rt_cached_audio_in_tokens, 0) * r.audio_in
                  + greatest(c.rt_text_in_tokens - c.rt_cached_text_in_tokens, 0) * r.text_in
                  + (c.rt_cached_audio_in_tokens + c.rt_cached_text_in_tokens) * r.cached_in
                  + c.rt_audio_out_tokens * r.audio_out
                  + c.rt_text_out_tokens * r.text_out) / 1000000, 6),
             q.minutes,
             -- a Twilio call: what Twilio charged; an Asterisk call: the same call there as Twilio recorded it
             p.twilio_minutes_cost + CASE WHEN t.recorded AND (r.twilio_records OR NOT t.twilio)
                                          THEN p.twilio_recording_cost ELSE 0 END,
             q.sip_rate, p.sip_cost
      FROM call c
      CROSS JOIN r
      JOIN tenant tn ON tn.id = c.tenant_id
      LEFT JOIN outbound_call o ON o.call_id = c.id
      LEFT JOIN did d ON d.id = c.did_id
      LEFT JOIN recording_job j ON j.call_id = c.id AND j.kind = 'call'
      CROSS JOIN LATERAL (
        SELECT coalesce(o.trunk, d.trunk) AS trunk,
               c.provider = 'twilio' AS twilio,
               CASE WHEN c.answered_at IS NULL OR c.ended_at <= c.answered_at THEN 0
                    ELSE ceil(extract(epoch FROM c.ended_at - c.answered_at))::int END AS secs,
               c.recording_file IS NOT NULL AS recorded,
               c.recording_file IS NOT NULL AND CASE WHEN j.transcription IS NOT NULL THEN j.transcription = 'done'
                                                     WHEN j.state = 'failed' THEN false
                                                     ELSE tn.transcription_enabled END AS transcribed) t
      CROSS JOIN LATERAL (
        SELECT ceil(t.secs / 60.0)::int AS minutes,
               CASE c.direction WHEN 'inbound' THEN r.twilio_in ELSE r.twilio_out END AS twilio_rate,
               coalesce((SELECT CASE c.direction WHEN 'inbound' THEN x.inbound ELSE x.outbound END
                           FROM unnest(r.trunks, r.trunk_in, r.trunk_out) AS x(trunk, inbound, outbound)
                          WHERE x.trunk = t.trunk),
                        CASE c.direction WHEN 'inbound' THEN r.sip_in ELSE r.sip_out END) AS sip_rate) q
      CROSS JOIN LATERAL (
        SELECT round(q.minutes * q.twilio_rate, 6) AS twilio_minutes_cost,
               round(q.minutes * r.twilio_recording, 6) AS twilio_recording_cost,
               round(t.secs * q.sip_rate / 60, 6) AS sip_cost) p
      WHERE c.ended_at IS NOT NULL
        AND c.ended_at <= now() - r.settle
        AND c.ended_at > now() - r.lookback
        AND NOT EXISTS (SELECT 1 FROM call_cost k WHERE k.call_id = c.id)
      ON CONFLICT (call_id) DO NOTHING
      """;

  private final DSLContext dsl;
  private final CostConfig config;

  public CostLedger(DSLContext dsl, CostConfig config) {
    this.dsl = dsl;
    this.config = config;
  }

  /** Prices every call that ended between {@code costs.lookback} and {@code costs.settle} ago and has no price. */
  public int priceEnded() {
    List<String> trunks = new ArrayList<>();
    List<BigDecimal> in = new ArrayList<>();
    List<BigDecimal> out = new ArrayList<>();
    for (Map.Entry<String, CostConfig.TrunkRate> e : config.trunkRates().entrySet()) {
      trunks.add(e.getKey());
      in.add(e.getValue().inboundPerMinute());
      out.add(e.getValue().outboundPerMinute());
    }
    return dsl.execute(PRICE,
        config.audioInPerMillion(), config.textInPerMillion(), config.cachedInPerMillion(),
        config.audioOutPerMillion(), config.textOutPerMillion(),
        config.twilioInboundPerMinute(), config.twilioOutboundPerMinute(), config.twilioRecordingPerMinute(),
        config.twilioRecords(), config.transcriptionPerMinute(),
        trunks.toArray(String[]::new), in.toArray(BigDecimal[]::new), out.toArray(BigDecimal[]::new),
        config.inboundPerMinute(), config.outboundPerMinute(),
        interval(config.settle()), interval(config.lookback()));
  }

  private static String interval(Duration d) {
    return d.toMillis() + " milliseconds";
  }
}
