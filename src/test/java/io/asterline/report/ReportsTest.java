package io.asterline.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.db.TestDatabase;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.Record;
import org.jooq.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every built-in report over {@link ReportSeed}'s rows, with the figures worked out by hand. */
class ReportsTest {

  private static TestDatabase.Db db;
  private static ReportSeed seed;
  private static ReportRunner runner;
  private static final Clock MARCH = Clock.fixed(Instant.parse("2025-03-10T00:00:00Z"), ZoneOffset.UTC);

  @TempDir
  Path dir;

  @BeforeAll
  static void seed() {
    db = TestDatabase.fresh(4);
    seed = new ReportSeed(db.dsl());
    runner = new ReportRunner(db.dsl(), Duration.ofSeconds(30));
  }

  @AfterAll
  static void close() {
    db.close();
  }

  private Result<Record> run(String name, String... params) {
    Map<String, String> raw = new LinkedHashMap<>();
    for (int i = 0; i < params.length; i += 2) {
      raw.put(params[i], params[i + 1]);
    }
    return runner.run(new ReportCatalog(dir).find(name), ReportParams.parse(raw, MARCH));
  }

  private static List<List<Object>> rows(Result<Record> result) {
    return result.stream().map(r -> Arrays.asList(r.intoArray())).map(l -> l.stream()
        .map(v -> v instanceof BigDecimal b ? (Object) b.stripTrailingZeros().toPlainString() : v)
        .map(v -> v instanceof Number n && !(v instanceof BigDecimal) ? (Object) n.longValue() : v)
        .toList()).map(l -> (List<Object>) (List<?>) l).toList();
  }

  @Test
  void didUsageBySegmentCountsTotalAverageAndMaximumUsage() {
    // twilio-main: acme 10, 20, 30 (one inactive) + beta 100; didww: acme 5
    assertThat(rows(run("did_usage_by_segment"))).containsExactly(
        List.of("didww", 1L, 1L, "5", "5", 5L),
        List.of("twilio-main", 4L, 3L, "160", "40", 100L));
    assertThat(rows(run("did_usage_by_segment", "tenant", Long.toString(seed.acme)))).containsExactly(
        List.of("didww", 1L, 1L, "5", "5", 5L),
        List.of("twilio-main", 3L, 2L, "60", "20", 30L));
    assertThat(rows(run("did_usage_by_segment", "segment", "twilio-main")))
        .containsExactly(List.of("twilio-main", 4L, 3L, "160", "40", 100L));
  }

  @Test
  void callSuccessRateByDayDirectionAndTenant() {
    String acme = Long.toString(seed.acme);
    String beta = Long.toString(seed.beta);
    List<List<Object>> rows = rows(run("call_success_rate", "from", "2025-03-01", "to", "2025-03-02"));
    assertThat(rows).extracting(r -> r.subList(1, 7).toString()).containsExactly(
        List.of("inbound", seed.acme, 2L, 2L, 0L, "100").toString(),
        List.of("outbound", seed.acme, 2L, 1L, 1L, "50").toString(),
        List.of("inbound", seed.beta, 2L, 1L, 1L, "50").toString(),
        List.of("outbound", seed.acme, 1L, 0L, 0L, "0").toString());
    assertThat(rows).extracting(r -> r.get(0).toString())
        .containsExactly("2025-03-01", "2025-03-01", "2025-03-01", "2025-03-02");
    // "to" as a date includes that day; the next day's call is outside "to 2025-03-01"
    assertThat(run("call_success_rate", "from", "2025-03-01", "to", "2025-03-01")).hasSize(3);
    assertThat(run("call_success_rate", "tenant", beta, "from", "2025-03-01", "to", "2025-03-02")).hasSize(1);
    assertThat(acme).isNotEqualTo(beta);
  }

  @Test
  void concurrentCallsPeakAndAveragePerHour() {
    // 10:00 hour: c1 10:00-10:10, c2 10:05-10:20, c6 10:10-10:40 (c1 ends as c6 starts: no overlap),
    // c3 10:30:00-10:30:05, c7 10:50:00-10:50:01 -> peak 2, (600+900+1800+5+1)/3600 = 0.92
    // 11:00 hour: c4 11:15-11:45 -> peak 1, 1800/3600 = 0.5
    assertThat(rows(run("concurrent_calls_per_hour", "from", "2025-03-01T10:00:00Z", "to", "2025-03-01T12:00:00Z")))
        .containsExactly(List.of("2025-03-01 10:00", 2L, "0.92"), List.of("2025-03-01 11:00", 1L, "0.5"));
    // acme alone at 10:00: c1, c2, c3 -> peak 2, (600+900+5)/3600 = 0.42; a quiet hour is a zero, not a gap
    assertThat(rows(run("concurrent_calls_per_hour", "tenant", Long.toString(seed.acme),
        "from", "2025-03-01T09:00:00Z", "to", "2025-03-01T11:00:00Z")))
        .containsExactly(List.of("2025-03-01 09:00", 0L, "0"), List.of("2025-03-01 10:00", 2L, "0.42"));
  }

  @Test
  void timeToFirstAgentAudioPercentiles() {
    // from the answer: c2 500, c1 1000, c4 1000, c6 3000 ms -> p50 1000, p90 1000+0.7*2000, p99 1000+0.97*2000
    // from the connection: 300, 500, 800, 2500 -> median 650
    assertThat(rows(run("time_to_first_audio", "from", "2025-03-01", "to", "2025-03-02")))
        .containsExactly(List.of("2025-03-01", 4L, 1000L, 2400L, 2940L, 3000L, 650L));
    assertThat(rows(run("time_to_first_audio", "tenant", Long.toString(seed.beta), "from", "2025-03-01", "to",
        "2025-03-02"))).containsExactly(List.of("2025-03-01", 1L, 3000L, 3000L, 3000L, 3000L, 2500L));
  }

  @Test
  void recordingSuccessCapturedStoredTranscribed() {
    assertThat(rows(run("recording_success", "from", "2025-03-01", "to", "2025-03-02")))
        .extracting(r -> r.subList(1, 9))
        .containsExactly(
            List.of(4L, 4L, 2L, 2L, 1L, 1L, 1L, 1L),
            List.of(0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L));
  }

  @Test
  void bargeInsAndVoicemailOutcomes() {
    List<List<Object>> rows = rows(run("barge_ins_and_voicemail", "from", "2025-03-01", "to", "2025-03-02"));
    // calls, with barge-in, barge-ins, max stop, sent to voicemail, voicemails left, stored, transcribed, AMD
    assertThat(rows.get(0).subList(1, 12)).containsExactly(6L, 2L, 3L, 500L, 1L, 1L, 1L, 0L, 1L, 0L, 0L);
    assertThat(rows.get(1).subList(1, 12)).containsExactly(1L, 0L, 0L, null, 0L, 0L, 0L, 0L, 0L, 1L, 0L);
    assertThat(rows).hasSize(2);
  }

  @Test
  void failingTrunksWorstFirst() {
    Result<Record> all = run("failing_trunks", "from", "2025-03-01", "to", "2025-03-02");
    assertThat(rows(all)).extracting(r -> r.subList(0, 6)).containsExactly(
        List.of("DIDWW", 3L, 1L, 1L, "33.3", "CONGESTION"),
        List.of("TWILIO", 4L, 1L, 0L, "25", "CHANUNAVAIL"));
    assertThat(all.get(0).get("last_failure_at", OffsetDateTime.class)).isEqualTo(ReportSeed.t("2025-03-01T10:30:05Z"));
    // acme's TWILIO calls all went through: only DIDWW fails for it
    assertThat(rows(run("failing_trunks", "tenant", Long.toString(seed.acme), "from", "2025-03-01", "to", "2025-03-02")))
        .extracting(r -> r.get(0)).containsExactly("DIDWW");
  }

  @Test
  void didHealthShowsEachNumbersQuarantineAndItsOutboundFiguresWorstFirst() {
    // acme's DIDWW number: 3 outbound calls, 1 answered for 30 minutes (AMD: human); its TWILIO numbers: inbound only
    db.dsl().update(io.asterline.db.generated.Tables.DID)
        .set(io.asterline.db.generated.Tables.DID.QUARANTINED_UNTIL, OffsetDateTime.now().plusHours(1))
        .set(io.asterline.db.generated.Tables.DID.QUARANTINED_AT, OffsetDateTime.now())
        .set(io.asterline.db.generated.Tables.DID.QUARANTINE_REASON, "answer rate 5.0% (1 of 20 calls) below 10.0%")
        .where(io.asterline.db.generated.Tables.DID.NUMBER.eq("+15550000002")).execute();
    List<List<Object>> rows = rows(run("did_health", "tenant", Long.toString(seed.acme), "from", "2025-03-01", "to",
        "2025-03-02"));
    assertThat(rows).extracting(r -> r.get(0)).containsExactly("+4930000001", "+15550000001", "+15550000002",
        "+15550000003");
    assertThat(rows.get(0)).extracting(r -> r == null ? null : r.toString())
        .containsExactly("+4930000001", "didww", "active", "ok", null, null, "3", "33.3", "0", "0", null);
    assertThat(rows.get(2).subList(3, 7)).extracting(r -> r == null ? null : r.toString()).containsExactly(
        "quarantined", rows.get(2).get(4).toString(), "answer rate 5.0% (1 of 20 calls) below 10.0%", "0");
  }

  @Test
  void badParametersAreNamed() {
    assertThatThrownBy(() -> run("call_success_rate", "from", "2025-13-01"))
        .isInstanceOf(ReportException.class).hasMessageContaining("parameter from: '2025-13-01' is not a date")
        .extracting(e -> ((ReportException) e).field()).isEqualTo("from");
    assertThatThrownBy(() -> run("call_success_rate", "tenant", "acme"))
        .hasMessageContaining("parameter tenant: expected a tenant id").extracting(e -> ((ReportException) e).field())
        .isEqualTo("tenant");
    assertThatThrownBy(() -> run("call_success_rate", "segment", "twilio-main"))
        .hasMessage("parameter segment: report 'call_success_rate' does not take it (it takes: tenant, from, to)");
    assertThatThrownBy(() -> run("call_success_rate", "segmnt", "x"))
        .hasMessageStartingWith("unknown parameter 'segmnt'");
    assertThatThrownBy(() -> run("call_success_rate", "from", "2025-03-05", "to", "2025-03-01"))
        .hasMessageContaining("must be before to");
    assertThatThrownBy(() -> run("no_such_report"))
        .isInstanceOf(ReportException.class).hasMessageStartingWith("no report named 'no_such_report' (reports: ")
        .matches(e -> ((ReportException) e).notFound());
    assertThatThrownBy(() -> ReportFormat.parse("pdf")).hasMessageContaining("parameter format: expected table, csv");
  }

  @Test
  void anAdminsOwnReportFileRunsWithoutARebuildAndABrokenOneIsReportedNotRun() throws Exception {
    Files.writeString(dir.resolve("calls_per_tenant.sql"), """
        -- title: Calls per tenant
        -- description: How many calls each tenant had, ever.
        --   (added by the admin)
        -- params: none
        SELECT tenant_id, count(*) AS calls FROM call WHERE direction <> 'x:y' GROUP BY tenant_id ORDER BY tenant_id
        """);
    Files.writeString(dir.resolve("broken.sql"), """
        -- title: Broken
        -- description: Uses a parameter it does not declare.
        -- params: tenant
        SELECT * FROM call WHERE tenant_id = :tenant AND created_at > :since
        """);
    Files.writeString(dir.resolve("Bad Name.sql"), "-- title: x\n-- description: y\nSELECT 1");

    ReportCatalog catalog = new ReportCatalog(dir);
    Map<String, ReportCatalog.Entry> entries = catalog.entries();
    assertThat(entries.keySet()).contains("calls_per_tenant", "broken", "did_usage_by_segment", "failing_trunks");
    Report own = catalog.find("calls_per_tenant");
    assertThat(own.description()).isEqualTo("How many calls each tenant had, ever. (added by the admin)");
    assertThat(own.coversAllTenants()).isTrue();
    assertThat(rows(runner.run(own, ReportParams.parse(Map.of(), MARCH))))
        .containsExactly(List.of(seed.acme, 5L), List.of(seed.beta, 2L));
    assertThat(entries.get("broken").problem()).hasValue("its SQL uses :since; reports take tenant, from, to, segment");
    assertThatThrownBy(() -> catalog.find("broken")).hasMessageContaining("cannot run: its SQL uses :since");
    assertThat(entries.get("Bad Name").problem().orElseThrow()).contains("file name");
  }

  @Test
  void namedParametersBecomeTypedBindValuesAndNothingElseIsTouched() {
    ReportSql.Bound b = ReportSql.translate("""
        SELECT ':tenant', "a:b", x::text, $$ :from $$ -- :segment ?
        FROM t /* :to ? */ WHERE a = :tenant AND b >= :from AND c = :tenant""");
    assertThat(b.sql()).isEqualTo("SELECT ':tenant', \"a:b\", x::text, $$ :from $$  \nFROM t   WHERE a = "
        + "CAST(? AS bigint) AND b >= CAST(? AS timestamptz) AND c = CAST(? AS bigint)");
    assertThat(b.order()).containsExactly(Report.Param.TENANT, Report.Param.FROM, Report.Param.TENANT);
    assertThatThrownBy(() -> ReportSql.translate("SELECT data ? 'key' FROM t"))
        .hasMessageContaining("'?'");
    // a value is bound, never pasted into the SQL
    String evil = "x'); DROP TABLE call; --";
    assertThatThrownBy(() -> run("did_usage_by_segment", "segment", evil)).hasMessageContaining("parameter segment");
  }

  @Test
  void reportsCannotWrite() throws Exception {
    Files.writeString(dir.resolve("sneaky.sql"), """
        -- title: Sneaky
        -- description: Tries to change data.
        DELETE FROM recording_job RETURNING id
        """);
    assertThatThrownBy(() -> runner.run(new ReportCatalog(dir).find("sneaky"), ReportParams.parse(Map.of(), MARCH)))
        .hasMessageContaining("read-only transaction");
    assertThat(db.dsl().fetchCount(io.asterline.db.generated.Tables.RECORDING_JOB)).isEqualTo(5);
  }

  @Test
  void formatsThroughJooqWithAChartForTimeSeries() {
    Report did = new ReportCatalog(dir).find("did_usage_by_segment");
    Result<Record> usage = run("did_usage_by_segment");
    assertThat(ReportFormat.CSV.write(did, usage)).isEqualTo("""
        segment,total_dids,usable_dids,total_usage,avg_usage,max_usage
        didww,1,1,5,5.00,5
        twilio-main,4,3,160,40.00,100
        """);
    assertThat(ReportFormat.JSON.write(did, usage)).isEqualTo("[{\"segment\":\"didww\",\"total_dids\":1,"
        + "\"usable_dids\":1,\"total_usage\":5,\"avg_usage\":5.00,\"max_usage\":5},{\"segment\":\"twilio-main\","
        + "\"total_dids\":4,\"usable_dids\":3,\"total_usage\":160,\"avg_usage\":40.00,\"max_usage\":100}]");
    assertThat(ReportFormat.TABLE.write(did, usage)).startsWith("DID usage by segment\n")
        .contains("|twilio-main|").contains("2 rows");

    Report hourly = new ReportCatalog(dir).find("concurrent_calls_per_hour");
    Result<Record> hours = run("concurrent_calls_per_hour", "from", "2025-03-01T10:00:00Z", "to", "2025-03-01T12:00:00Z");
    String table = ReportFormat.TABLE.write(hourly, hours);
    // peak 2 is the longest bar (40 marks), peak 1 half of it
    assertThat(table).contains("peak_calls by hour\n2025-03-01 10:00 |" + "#".repeat(40) + " 2\n"
        + "2025-03-01 11:00 |" + "#".repeat(20) + " 1\n");
    String html = ReportFormat.HTML.write(hourly, hours);
    assertThat(html).contains("<h1>Concurrent calls per hour</h1>").contains("<svg").contains("<polyline")
        .contains("<title>peak_calls</title>").contains("<title>avg_calls</title>").contains("<table");
  }
}
