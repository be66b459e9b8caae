package io.asterline.cost;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;

/**
 * Prices the calls that ended: one row in {@code call_cost} per call, from its billed minutes (answer to end, per
 * second) times its trunk's carrier rate, plus the Realtime tokens the agent stored with its outcome times the
 * model prices, beside the same call at Twilio's list prices. One statement, {@code INSERT ... SELECT ... ON CONFLICT
 * DO NOTHING}: any number of nodes may run it at once and each call is priced exactly once, with the rates in force
 * then (a later change of rates prices later calls only).
 */
public final class CostLedger {

  // calls only after costs.settle: the agent's outcome (its usage) is stored as its leg ends, and a caller's
  // hangup may run call-end on Asterisk's side a moment before that store lands
  private static final String PRICE = """
      INSERT INTO call_cost (call_id, tenant_id, direction, trunk, ended_at, billed_seconds, carrier_per_minute,
                             carrier_cost, realtime_cost, recorded, twilio_minutes, twilio_cost)
      SELECT c.id, c.tenant_id, c.direction, x.trunk, c.ended_at, x.secs, x.rate,
             round(x.secs * x.rate / 60, 6),
             round((greatest(c.rt_audio_in_tokens - c.rt_cached_audio_in_tokens, 0) * ?::numeric
                  + greatest(c.rt_text_in_tokens - c.rt_cached_text_in_tokens, 0) * ?::numeric
                  + (c.rt_cached_audio_in_tokens + c.rt_cached_text_in_tokens) * ?::numeric
                  + c.rt_audio_out_tokens * ?::numeric
                  + c.rt_text_out_tokens * ?::numeric) / 1000000, 6),
             x.recorded, x.minutes,
             round(x.minutes * CASE c.direction WHEN 'inbound' THEN ?::numeric ELSE ?::numeric END
                 + CASE WHEN x.recorded THEN x.minutes * ?::numeric ELSE 0 END, 6)
      FROM call c
      LEFT JOIN outbound_call o ON o.call_id = c.id
      LEFT JOIN did d ON d.id = c.did_id
      CROSS JOIN LATERAL (
        SELECT coalesce(o.trunk, d.trunk) AS trunk,
               CASE WHEN c.answered_at IS NULL OR c.ended_at <= c.answered_at THEN 0
                    ELSE ceil(extract(epoch FROM c.ended_at - c.answered_at))::int END AS secs,
               c.recording_file IS NOT NULL AS recorded) t
      CROSS JOIN LATERAL (
        SELECT t.trunk, t.secs, t.recorded, ceil(t.secs / 60.0)::int AS minutes,
               coalesce((SELECT CASE c.direction WHEN 'inbound' THEN r.inbound ELSE r.outbound END
                           FROM unnest(?::text[], ?::numeric[], ?::numeric[]) AS r(trunk, inbound, outbound)
                          WHERE r.trunk = t.trunk),
                        CASE c.direction WHEN 'inbound' THEN ?::numeric ELSE ?::numeric END) AS rate) x
      WHERE c.ended_at IS NOT NULL
        AND c.ended_at <= now() - ?::interval
        AND c.ended_at > now() - ?::interval
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
        trunks.toArray(String[]::new), in.toArray(BigDecimal[]::new), out.toArray(BigDecimal[]::new),
        config.inboundPerMinute(), config.outboundPerMinute(),
        interval(config.settle()), interval(config.lookback()));
  }

  private static String interval(Duration d) {
    return d.toMillis() + " milliseconds";
  }
}
