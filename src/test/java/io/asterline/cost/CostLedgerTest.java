package io.asterline.cost;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.CALL_COST;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.config.ConfigException;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.report.ReportCatalog;
import io.asterline.report.ReportParams;
import io.asterline.report.ReportRunner;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ledger of calls with known minutes and token counts, to the cent (the figures worked out by hand in the
 * comments), priced by several nodes at once, and the call_costs report over them.
 */
class CostLedgerTest {

  private static TestDatabase.Db db;
  private static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);

  @TempDir
  Path dir;

  @BeforeAll
  static void open() {
    db = TestDatabase.fresh(6);
  }

  @AfterAll
  static void close() {
    db.close();
  }

  /** The defaults, with a rate of its own for the TWILIO trunk. */
  private static CostConfig config() {
    return CostConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("costs.trunk-rates", "TWILIO=0.0085/0.013, didww=0.004/0.006")));
  }

  @Test
  void pricesEachEndedCallOnceFromItsMinutesAndTokensBesideTwilio() throws Exception {
    DSLContext dsl = db.dsl();
    long acme = tenant(dsl, "acme");
    long other = tenant(dsl, "other");
    UUID sipDid = did(dsl, acme, "+15550001001", "SIPTRUNK");
    UUID twilioDid = did(dsl, acme, "+15550001002", "TWILIO");
    UUID otherDid = did(dsl, other, "+15550001003", "SIPTRUNK");

    // inbound on a trunk without its own rate (0.004/min), answered 150 s, recorded, with tokens:
    //   carrier 150 s x 0.004 / 60 = 0.010
    //   realtime (100,000 - 20,000 cached) audio in x $32/M = 2.560; 10,000 text in x $4/M = 0.040;
    //            20,000 cached x $0.40/M = 0.008; 50,000 audio out x $64/M = 3.200; 5,000 text out x $16/M = 0.080
    //            = 5.888
    //   Twilio: 3 whole minutes x 0.0085 + 3 recording minutes x 0.0025 = 0.0255 + 0.0075 = 0.0330
    UUID in = call(dsl, acme, "inbound", sipDid, NOW.minusMinutes(20), 150, "/rec/in.wav");
    dsl.update(CALL).set(CALL.RT_AUDIO_IN_TOKENS, 100_000L).set(CALL.RT_CACHED_AUDIO_IN_TOKENS, 20_000L)
        .set(CALL.RT_TEXT_IN_TOKENS, 10_000L).set(CALL.RT_AUDIO_OUT_TOKENS, 50_000L)
        .set(CALL.RT_TEXT_OUT_TOKENS, 5_000L).where(CALL.ID.eq(in)).execute();
    // outbound through the TWILIO trunk (its own rate, 0.013/min out), answered 90 s, not recorded, no tokens:
    //   carrier 90 x 0.013 / 60 = 0.0195; Twilio 2 minutes x 0.013 = 0.026
    UUID out = call(dsl, acme, "outbound", twilioDid, NOW.minusMinutes(10), 90, null);
    outbound(dsl, out, acme, "TWILIO");
    // outbound never answered: nothing billed
    UUID missed = call(dsl, acme, "outbound", sipDid, NOW.minusMinutes(5), -1, null);
    outbound(dsl, missed, acme, "SIPTRUNK");
    // another tenant's call, 60 s inbound: 0.004; Twilio 0.0085
    UUID others = call(dsl, other, "inbound", otherDid, NOW.minusMinutes(7), 60, null);
    // ended 10 s ago: within costs.settle (1m), the agent's usage may not be stored yet
    UUID fresh = call(dsl, acme, "inbound", sipDid, NOW.minusSeconds(10), 30, null);
    // ended before costs.lookback (7 days): no longer priced
    UUID old = call(dsl, acme, "inbound", sipDid, NOW.minusDays(8), 30, null);

    // three nodes at once: every call priced exactly once
    CostLedger ledger = new CostLedger(dsl, config());
    ExecutorService nodes = Executors.newFixedThreadPool(3);
    List<Future<Integer>> rounds = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      rounds.add(nodes.submit((Callable<Integer>) ledger::priceEnded));
    }
    int priced = 0;
    for (Future<Integer> r : rounds) {
      priced += r.get();
    }
    nodes.shutdown();
    assertThat(priced).isEqualTo(4);
    assertThat(ledger.priceEnded()).isZero();

    assertThat(cost(dsl, in)).containsExactly(150, "0.004", "0.01", "5.888", true, 3, "0.033");
    assertThat(cost(dsl, out)).containsExactly(90, "0.013", "0.0195", "0", false, 2, "0.026");
    assertThat(cost(dsl, missed)).containsExactly(0, "0.006", "0", "0", false, 0, "0");
    assertThat(cost(dsl, others)).containsExactly(60, "0.004", "0.004", "0", false, 1, "0.0085");
    assertThat(dsl.fetchExists(CALL_COST, CALL_COST.CALL_ID.eq(fresh))).isFalse();
    assertThat(dsl.fetchExists(CALL_COST, CALL_COST.CALL_ID.eq(old))).isFalse();
    assertThat(dsl.fetchOne(CALL_COST, CALL_COST.CALL_ID.eq(out)).getTrunk()).isEqualTo("TWILIO");

    // a later rate change prices later calls only
    CostLedger dearer = new CostLedger(dsl, CostConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("costs.inbound-per-minute", "1"))));
    assertThat(dearer.priceEnded()).isZero();
    assertThat(cost(dsl, in).get(2)).isEqualTo("0.01");

    // the report, per tenant over the period: acme's three calls
    //   inbound 2.50 min, outbound 1.50 min; carrier 0.01 + 0.0195 = 0.0295; realtime 5.888; total 5.9175
    //   Twilio 3 + 2 = 5 minutes, 0.033 + 0.026 = 0.059; with the same realtime 5.947; saved 0.0295
    ReportRunner runner = new ReportRunner(dsl, Duration.ofSeconds(30));
    var all = runner.run(new ReportCatalog(dir).find("call_costs"), ReportParams.parse(Map.of(), Clock.systemUTC()));
    assertThat(all).hasSize(2);
    var acmeOnly = runner.run(new ReportCatalog(dir).find("call_costs"),
        ReportParams.parse(Map.of("tenant", Long.toString(acme)), Clock.systemUTC()));
    assertThat(acmeOnly).hasSize(1);
    assertThat(row(acmeOnly.get(0))).containsExactly(acme, 3L, "2.5", "1.5", "0.0295", "5.888", "5.9175", 5L,
        "0.059", "5.947", "0.0295");
    // a period before the calls: nothing
    assertThat(runner.run(new ReportCatalog(dir).find("call_costs"), ReportParams.parse(Map.of("tenant",
        Long.toString(acme), "from", "2020-01-01", "to", "2020-02-01"), Clock.systemUTC()))).isEmpty();
  }

  @Test
  void pricesATwilioCallAtTwilioRatesAndAnAsteriskCallOnItsTrunkEachBesideTheOtherProvider() {
    DSLContext dsl = db.dsl();
    long acme = tenant(dsl, "providers");
    dsl.update(TENANT).set(TENANT.TRANSCRIPTION_ENABLED, true).where(TENANT.ID.eq(acme)).execute();
    UUID didww = did(dsl, acme, "+15550002001", "DIDWW");
    UUID twilioNumber = did(dsl, acme, "+15550002002", "TWILIO");
    OffsetDateTime march = OffsetDateTime.parse("2025-03-01T12:00:00Z");
    // DIDWW has its own rates (0.003 in, 0.005 out); TWILIO, a Twilio number's trunk, has none: the defaults
    Map<String, String> rates = Map.of("costs.trunk-rates", "DIDWW=0.003/0.005", "costs.settle", "0s",
        "costs.lookback", "20000d");

    // Asterisk, inbound on DIDWW, 120 s, recorded and transcribed (the job's transcribe step did it):
    //   carrier 120 x 0.003 / 60 = 0.006, no recording fee (Asterline records), transcription 120 x 0.006 / 60 =
    //   0.012; on Twilio 2 minutes x 0.0085 + 2 recording minutes x 0.0025 = 0.022; on Asterisk the carrier's 0.006
    UUID asterisk = call(dsl, acme, "inbound", didww, march, 120, "/rec/a.wav");
    job(dsl, asterisk, acme, "done", "done");
    // Twilio, inbound on a Twilio number, 61 s, recorded by Asterline, its job still queued (the tenant transcribes):
    //   Twilio bills 2 whole minutes x 0.0085 = 0.017, no recording fee; transcription 61 x 0.006 / 60 = 0.0061;
    //   on its trunk (TWILIO, the default 0.004 in) 61 x 0.004 / 60 = 0.004067
    UUID twilioIn = twilio(dsl, call(dsl, acme, "inbound", twilioNumber, march.plusMinutes(1), 61, "/rec/t.wav"));
    job(dsl, twilioIn, acme, "pending", null);
    // Twilio, outbound with DIDWW as its trunk, 150 s, not recorded: 3 minutes x 0.013 = 0.039; 150 x 0.005 / 60
    UUID twilioOut = twilio(dsl, call(dsl, acme, "outbound", twilioNumber, march.plusMinutes(2), 150, null));
    outbound(dsl, twilioOut, acme, "DIDWW");
    // Twilio, recorded, the tenant had transcription off when its job ran: 1 minute 0.0085, no transcription
    UUID skipped = twilio(dsl, call(dsl, acme, "inbound", twilioNumber, march.plusMinutes(3), 30, "/rec/s.wav"));
    job(dsl, skipped, acme, "done", "skipped");

    assertThat(new CostLedger(dsl, CostConfig.from(Settings.of(Map.of(), Map.of(), rates))).priceEnded())
        .isGreaterThanOrEqualTo(4);
    // provider, carrier per minute and cost, recording, transcribed, transcription, Twilio minutes and cost,
    // Asterisk per minute and cost
    assertThat(priced(dsl, asterisk)).containsExactly("asterisk", "0.003", "0.006", "0", true, "0.012", 2, "0.022",
        "0.003", "0.006");
    assertThat(priced(dsl, twilioIn)).containsExactly("twilio", "0.0085", "0.017", "0", true, "0.0061", 2, "0.017",
        "0.004", "0.004067");
    assertThat(priced(dsl, twilioOut)).containsExactly("twilio", "0.013", "0.039", "0", false, "0", 3, "0.039",
        "0.005", "0.0125");
    assertThat(priced(dsl, skipped)).containsExactly("twilio", "0.0085", "0.0085", "0", false, "0", 1, "0.0085",
        "0.004", "0.002");
    assertThat(dsl.fetchOne(CALL_COST, CALL_COST.CALL_ID.eq(twilioOut)).getTrunk()).isEqualTo("DIDWW");

    // where Twilio records its calls, its fee is charged on them: 90 s outbound, recorded, its job failed (nothing
    // transcribed): 2 minutes x 0.013 = 0.026 + 2 x 0.0025 = 0.005; on its trunk (TWILIO, default 0.006 out) 0.009
    UUID recordedByTwilio = twilio(dsl, call(dsl, acme, "outbound", twilioNumber, march.plusMinutes(4), 90,
        "/rec/r.wav"));
    job(dsl, recordedByTwilio, acme, "failed", null);
    Map<String, String> twilioRecords = new java.util.HashMap<>(rates);
    twilioRecords.put("costs.twilio.records-calls", "true");
    twilioRecords.put("costs.transcription-per-minute", "1");
    assertThat(new CostLedger(dsl, CostConfig.from(Settings.of(Map.of(), Map.of(), twilioRecords))).priceEnded())
        .isGreaterThanOrEqualTo(1);
    assertThat(priced(dsl, recordedByTwilio)).containsExactly("twilio", "0.013", "0.026", "0.005", false, "0", 2,
        "0.031", "0.006", "0.009");
  }

  @Test
  void aRateThatIsNotAPriceStopsTheStartNamingTheKey() {
    assertThatThrownBy(() -> CostConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("costs.realtime.audio-in-per-million", "cheap"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("costs.realtime.audio-in-per-million");
    assertThatThrownBy(() -> CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.trunk-rates", "TWILIO=1"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("costs.trunk-rates").hasMessageContaining("TWILIO=1");
    assertThatThrownBy(() -> CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.outbound-per-minute", "-1"))))
        .isInstanceOf(ConfigException.class).hasMessageContaining("costs.outbound-per-minute");
    assertThatThrownBy(() -> CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.twilio.records-calls",
        "sometimes")))).isInstanceOf(ConfigException.class).hasMessageContaining("costs.twilio.records-calls");
    assertThatThrownBy(() -> CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.transcription-per-minute",
        "free")))).isInstanceOf(ConfigException.class).hasMessageContaining("costs.transcription-per-minute");
  }

  private static List<Object> cost(DSLContext dsl, UUID call) {
    var k = dsl.fetchOne(CALL_COST, CALL_COST.CALL_ID.eq(call));
    assertThat(k).as("call_cost of " + call).isNotNull();
    return List.of(k.getBilledSeconds(), plain(k.getCarrierPerMinute()), plain(k.getCarrierCost()),
        plain(k.getRealtimeCost()), k.getRecorded(), k.getTwilioMinutes(), plain(k.getTwilioCost()));
  }

  private static List<Object> priced(DSLContext dsl, UUID call) {
    var k = dsl.fetchOne(CALL_COST, CALL_COST.CALL_ID.eq(call));
    assertThat(k).as("call_cost of " + call).isNotNull();
    return Arrays.asList(k.getProvider(), plain(k.getCarrierPerMinute()), plain(k.getCarrierCost()),
        plain(k.getRecordingCost()), k.getTranscribed(), plain(k.getTranscriptionCost()), k.getTwilioMinutes(),
        plain(k.getTwilioCost()), plain(k.getAsteriskPerMinute()), plain(k.getAsteriskCost()));
  }

  /** Marks a call as carried by Twilio, with a CallSid as Twilio gives one. */
  private static UUID twilio(DSLContext dsl, UUID call) {
    dsl.update(CALL).set(CALL.PROVIDER, "twilio")
        .set(CALL.PROVIDER_CALL_SID, "CA" + call.toString().replace("-", "")).where(CALL.ID.eq(call)).execute();
    return call;
  }

  private static void job(DSLContext dsl, UUID call, long tenant, String state, String transcription) {
    dsl.insertInto(RECORDING_JOB).set(RECORDING_JOB.CALL_ID, call).set(RECORDING_JOB.TENANT_ID, tenant)
        .set(RECORDING_JOB.SOURCE_FILE, "/rec/" + call + ".wav").set(RECORDING_JOB.STATE, state)
        .set(RECORDING_JOB.STEP, state.equals("done") ? "done" : "capture")
        .set(RECORDING_JOB.TRANSCRIPTION, transcription).execute();
  }

  private static List<Object> row(Record r) {
    List<Object> out = new ArrayList<>();
    for (Object v : r.intoArray()) {
      out.add(v instanceof BigDecimal b ? plain(b) : v instanceof Number n ? (Object) n.longValue() : v);
    }
    return out;
  }

  private static String plain(BigDecimal b) {
    return b.stripTrailingZeros().toPlainString();
  }

  private static long tenant(DSLContext dsl, String name) {
    return dsl.insertInto(TENANT).set(TENANT.NAME, name + "-" + UUID.randomUUID()).returning(TENANT.ID).fetchOne()
        .getId();
  }

  private static UUID did(DSLContext dsl, long tenant, String number, String trunk) {
    return dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, number).set(DID.SEGMENT, "s")
        .set(DID.TRUNK, trunk).returning(DID.ID).fetchOne().getId();
  }

  /** A call that ended at {@code ended} after {@code seconds} answered (negative: never answered). */
  private static UUID call(DSLContext dsl, long tenant, String direction, UUID did, OffsetDateTime ended, int seconds,
      String recording) {
    UUID id = UUID.randomUUID();
    OffsetDateTime answered = seconds < 0 ? null : ended.minusSeconds(seconds);
    dsl.insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, direction)
        .set(CALL.DID_ID, did).set(CALL.STATE, seconds < 0 ? "failed" : "ended")
        .set(CALL.CREATED_AT, ended.minusMinutes(10)).set(CALL.ANSWERED_AT, answered).set(CALL.ENDED_AT, ended)
        .set(CALL.RECORDING_FILE, recording).execute();
    return id;
  }

  private static void outbound(DSLContext dsl, UUID call, long tenant, String trunk) {
    dsl.insertInto(OUTBOUND_CALL).set(OUTBOUND_CALL.CALL_ID, call).set(OUTBOUND_CALL.TENANT_ID, tenant)
        .set(OUTBOUND_CALL.CALLER_ID, "+15550001002").set(OUTBOUND_CALL.DID_SEGMENT, "s")
        .set(OUTBOUND_CALL.TRUNK, trunk).execute();
  }
}
