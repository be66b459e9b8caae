package io.asterline.cost;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.Json;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.report.ReportCatalog;
import io.asterline.report.ReportConfig;
import io.asterline.report.ReportFormat;
import io.asterline.report.ReportParams;
import io.asterline.report.ReportRunner;
import io.asterline.report.Reports;
import io.asterline.tenant.TenantRepository;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.Result;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider_comparison report and {@code GET /api/providers/comparison} over a known history priced by the
 * ledger: one tenant with calls on both providers (answered, failed, machine-answered, recorded and transcribed,
 * with Realtime tokens) and another with one Asterisk call. The figures are worked out by hand in the comments.
 */
class ProviderComparisonTest {

  private static final String ADMIN = "comparison-admin-token-0123456789";
  private static final String ACME_TOKEN = "comparison-token-of-acme-0123456789";
  private static final String BETA_TOKEN = "comparison-token-of-beta-0123456789";
  private static final Clock MARCH = Clock.fixed(OffsetDateTime.parse("2025-03-10T00:00:00Z").toInstant(),
      java.time.ZoneOffset.UTC);

  private static TestDatabase.Db db;
  private static long acme;
  private static long beta;
  private static HttpServer http;
  private static final HttpClient client = HttpClient.newHttpClient();
  private static final ObjectMapper json = new ObjectMapper();

  @TempDir
  static Path reportsDir;

  @BeforeAll
  static void seedAndPrice() {
    db = TestDatabase.fresh(4);
    DSLContext dsl = db.dsl();
    acme = tenant(dsl, "acme", ACME_TOKEN, true, (short) 30);
    beta = tenant(dsl, "beta", BETA_TOKEN, false, null);
    UUID acmeDidww = did(dsl, acme, "+15550100001", "DIDWW");
    UUID acmeTwilio = did(dsl, acme, "+15550100002", "TWILIO");
    UUID betaDidww = did(dsl, beta, "+15550100009", "DIDWW");

    // acme on Asterisk (DIDWW's own rates 0.003 in / 0.005 out)
    // a1 inbound, 120 s, greeting 400 ms, barge-in stop 200 ms, recorded and transcribed, Realtime tokens:
    //   carrier 0.006, transcription 120 x 0.006 / 60 = 0.012, Realtime 5.888 (as in CostLedgerTest), on Twilio
    //   2 x 0.0085 + 2 x 0.0025 = 0.022
    UUID a1 = call(dsl, acme, "inbound", acmeDidww, "ended", "ANSWER", "2025-03-01T10:00:00Z", "2025-03-01T10:00:01Z",
        "2025-03-01T10:00:01Z", "2025-03-01T10:00:01.400Z", "2025-03-01T10:02:01Z");
    dsl.update(CALL).set(CALL.RECORDING_FILE, "/rec/a1.wav").set(CALL.BARGE_IN_COUNT, 1)
        .set(CALL.BARGE_IN_MAX_STOP_MS, 200).set(CALL.RT_AUDIO_IN_TOKENS, 100_000L)
        .set(CALL.RT_CACHED_AUDIO_IN_TOKENS, 20_000L).set(CALL.RT_TEXT_IN_TOKENS, 10_000L)
        .set(CALL.RT_AUDIO_OUT_TOKENS, 50_000L).set(CALL.RT_TEXT_OUT_TOKENS, 5_000L).where(CALL.ID.eq(a1)).execute();
    job(dsl, a1, acme, "done", "done");
    // a2 outbound, 90 s, greeting 600 ms, barge-in stop 400 ms, AMD human: carrier 90 x 0.005 / 60 = 0.0075;
    //   on Twilio 2 x 0.013 = 0.026
    UUID a2 = call(dsl, acme, "outbound", acmeDidww, "ended", "ANSWER", "2025-03-01T10:10:00Z", "2025-03-01T10:10:05Z",
        "2025-03-01T10:10:05Z", "2025-03-01T10:10:05.600Z", "2025-03-01T10:11:35Z");
    dsl.update(CALL).set(CALL.BARGE_IN_COUNT, 2).set(CALL.BARGE_IN_MAX_STOP_MS, 400).set(CALL.VOICEMAIL_RESULT, "human")
        .where(CALL.ID.eq(a2)).execute();
    outbound(dsl, a2, acme, "DIDWW");
    // a3 failed (CONGESTION), a4 not answered (NO ANSWER): nothing billed
    outbound(dsl, call(dsl, acme, "outbound", acmeDidww, "failed", "CONGESTION", "2025-03-01T10:20:00Z", null, null,
        null, "2025-03-01T10:20:05Z"), acme, "DIDWW");
    outbound(dsl, call(dsl, acme, "outbound", acmeDidww, "ended", "NO ANSWER", "2025-03-01T10:30:00Z", null, null,
        null, "2025-03-01T10:30:30Z"), acme, "DIDWW");

    // acme on Twilio (0.0085 in / 0.013 out per whole minute; the TWILIO trunk has no rate: defaults 0.004 / 0.006)
    // t1 inbound, 61 s, greeting 800 ms, barge-in stop 600 ms, recorded by Asterline (no Twilio fee), its job queued
    //   (acme transcribes): 2 min x 0.0085 = 0.017, transcription 61 x 0.006 / 60 = 0.0061, Realtime 50,000 audio
    //   in x $32/M + 25,000 audio out x $64/M = 3.2; on the trunk 61 x 0.004 / 60 = 0.004067
    UUID t1 = twilio(dsl, call(dsl, acme, "inbound", acmeTwilio, "ended", "ANSWER", "2025-03-01T11:00:00Z",
        "2025-03-01T11:00:01Z", "2025-03-01T11:00:02Z", "2025-03-01T11:00:02.800Z", "2025-03-01T11:01:02Z"));
    dsl.update(CALL).set(CALL.RECORDING_FILE, "/rec/t1.wav").set(CALL.BARGE_IN_COUNT, 1)
        .set(CALL.BARGE_IN_MAX_STOP_MS, 600).set(CALL.RT_AUDIO_IN_TOKENS, 50_000L).set(CALL.RT_AUDIO_OUT_TOKENS, 25_000L)
        .where(CALL.ID.eq(t1)).execute();
    job(dsl, t1, acme, "pending", null);
    // t2 outbound, 150 s, greeting 1000 ms, AMD unknown: 3 x 0.013 = 0.039; on the trunk 150 x 0.006 / 60 = 0.015
    UUID t2 = twilio(dsl, call(dsl, acme, "outbound", acmeTwilio, "ended", "ANSWER", "2025-03-01T11:10:00Z",
        "2025-03-01T11:10:00Z", "2025-03-01T11:10:00.500Z", "2025-03-01T11:10:01.500Z", "2025-03-01T11:12:30Z"));
    dsl.update(CALL).set(CALL.VOICEMAIL_RESULT, "unknown").where(CALL.ID.eq(t2)).execute();
    outbound(dsl, t2, acme, "TWILIO");
    // t3 outbound answered by a machine after 30 s (the agent never spoke): 1 x 0.013; on the trunk 0.003
    UUID t3 = twilio(dsl, call(dsl, acme, "outbound", acmeTwilio, "ended", "machine_hangup", "2025-03-01T11:20:00Z",
        "2025-03-01T11:20:00Z", null, null, "2025-03-01T11:20:30Z"));
    dsl.update(CALL).set(CALL.VOICEMAIL_RESULT, "machine").where(CALL.ID.eq(t3)).execute();
    outbound(dsl, t3, acme, "TWILIO");
    // t4, t5 busy, t6 failed (CONGESTION): nothing billed
    for (String at : List.of("2025-03-01T11:30:00Z", "2025-03-02T09:00:00Z")) {
      outbound(dsl, twilio(dsl, call(dsl, acme, "outbound", acmeTwilio, "ended", "BUSY", at, null, null, null,
          OffsetDateTime.parse(at).plusSeconds(20).toString())), acme, "TWILIO");
    }
    outbound(dsl, twilio(dsl, call(dsl, acme, "outbound", acmeTwilio, "failed", "CONGESTION", "2025-03-02T09:10:00Z",
        null, null, null, "2025-03-02T09:10:02Z")), acme, "TWILIO");
    // after the period (to 2025-03-03 includes that day): not in the figures
    twilio(dsl, call(dsl, acme, "inbound", acmeTwilio, "ended", "ANSWER", "2025-03-05T10:00:00Z", "2025-03-05T10:00:01Z",
        null, null, "2025-03-05T10:10:01Z"));

    // beta on Asterisk: one inbound call, 60 s: 0.003; on Twilio 0.0085
    call(dsl, beta, "inbound", betaDidww, "ended", "ANSWER", "2025-03-01T12:00:00Z", "2025-03-01T12:00:00Z", null,
        null, "2025-03-01T12:01:00Z");

    CostConfig costs = CostConfig.from(Settings.of(Map.of(), Map.of(), Map.of("costs.trunk-rates",
        "DIDWW=0.003/0.005", "costs.settle", "0s", "costs.lookback", "20000d", "costs.interval", "0s")));
    assertThat(new CostLedger(dsl, costs).priceEnded()).isEqualTo(12);

    TenantRepository tenants = new TenantRepository(dsl);
    http = new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.of(ADMIN)),
        Json.mapper()).auth(new Auth(Optional.of(ADMIN), tenants::activeTenantByTokenHash));
    Reports reports = Reports.start(new ReportConfig(reportsDir, Duration.ofSeconds(30)), dsl);
    http.routes(Costs.start(costs, dsl, reports, Json.mapper(), 100).routes());
    http.start();
  }

  @AfterAll
  static void close() {
    if (http != null) {
      http.close();
    }
    db.close();
  }

  // the columns, in the report's order
  private static final List<String> COLUMNS = List.of("tenant_id", "provider", "calls", "answered", "answered_pct",
      "failures", "greeting_p50_ms", "greeting_p95_ms", "barge_in_stop_p50_ms", "barge_in_stop_p95_ms", "amd_human",
      "amd_machine", "amd_unknown", "priced_calls", "talk_minutes", "billed_minutes", "carrier_cost",
      "recording_transcription_cost", "rt_text_in_tokens", "rt_audio_in_tokens", "rt_cached_in_tokens",
      "rt_text_out_tokens", "rt_audio_out_tokens", "realtime_cost", "total_cost", "cost_per_answered_minute",
      "other_provider_cost", "saved_if_moved", "saved_vs_twilio");

  private static Result<Record> report(String... params) {
    Map<String, String> raw = new LinkedHashMap<>();
    for (int i = 0; i < params.length; i += 2) {
      raw.put(params[i], params[i + 1]);
    }
    return new ReportRunner(db.dsl(), Duration.ofSeconds(30))
        .run(new ReportCatalog(reportsDir).find("provider_comparison"), ReportParams.parse(raw, MARCH));
  }

  private static List<Object> values(Record r) {
    List<Object> out = new ArrayList<>();
    for (Object v : r.intoArray()) {
      // jsonb as PostgreSQL writes it (keys shortest first)
      out.add(v instanceof JSONB j ? j.data() : v instanceof BigDecimal b ? b.stripTrailingZeros().toPlainString()
          : v instanceof Number n ? (Object) n.longValue() : v == null ? null : v.toString());
    }
    return out;
  }

  @Test
  void comparesBothProvidersPerTenantOnKnownData() {
    Result<Record> rows = report("from", "2025-03-01", "to", "2025-03-03");
    assertThat(rows.fields()).extracting(Field::getName).containsExactlyElementsOf(COLUMNS);
    assertThat(rows).hasSize(3);
    // acme on Asterisk: 4 calls, a1 and a2 answered; greeting 400/600 ms -> p50 500, p95 400 + 0.95 x 200 = 590;
    // barge-in stop 200/400 -> 300, 390; minutes (120 + 90) / 60 = 3.5; carrier 0.006 + 0.0075 = 0.0135;
    // transcription 0.012; Realtime 5.888; total 5.9135, per answered minute 5.9135 / 3.5 = 1.6896;
    // on Twilio 0.022 + 0.026 = 0.048, so Asterisk saved 0.048 - 0.0135 = 0.0345
    assertThat(values(rows.get(0))).containsExactly(acme, "asterisk", 4L, 2L, "50", "{\"NO ANSWER\": 1, "
        + "\"CONGESTION\": 1}", 500L, 590L, 300L, 390L, 1L, 0L, 0L, 4L, "3.5", "3.5", "0.0135", "0.012", 10_000L,
        100_000L, 20_000L, 5_000L, 50_000L, "5.888", "5.9135", "1.6896", "0.048", null, "0.0345");
    // acme on Twilio: 6 calls, t1-t3 answered (t3 by a machine); greeting 800/1000 -> 900, 990; barge-in 600;
    // talk 241 s = 4.02 min, billed 2 + 3 + 1 = 6 whole minutes; carrier 0.017 + 0.039 + 0.013 = 0.069;
    // transcription 0.0061; Realtime 3.2; total 3.2751, per answered minute 3.2751 / (241 / 60) = 0.8154;
    // on the trunks 0.004067 + 0.015 + 0.003 = 0.022067, so moving them saves 0.069 - 0.022067 = 0.0469
    assertThat(values(rows.get(1))).containsExactly(acme, "twilio", 6L, 3L, "50", "{\"BUSY\": 2, "
        + "\"CONGESTION\": 1}", 900L, 990L, 600L, 600L, 0L, 1L, 1L, 6L, "4.02", "6", "0.069", "0.0061", 0L, 50_000L,
        0L, 0L, 25_000L, "3.2", "3.2751", "0.8154", "0.0221", "0.0469", null);
    // beta: one Asterisk minute, 0.003 (0.0085 on Twilio)
    assertThat(values(rows.get(2))).containsExactly(beta, "asterisk", 1L, 1L, "100", "{}", null, null, null, null,
        0L, 0L, 0L, 1L, "1", "1", "0.003", "0", 0L, 0L, 0L, 0L, 0L, "0", "0.003", "0.003", "0.0085", null, "0.0055");

    // as /api/reports and `report run --format json` write it: failures stay a JSON object
    assertThat(ReportFormat.JSON.write(new ReportCatalog(reportsDir).find("provider_comparison"), rows))
        .contains("\"failures\":{\"BUSY\": 2, \"CONGESTION\": 1}");
    assertThat(report("tenant", Long.toString(beta), "from", "2025-03-01", "to", "2025-03-03")).hasSize(1);
    // the next period holds only the call of 2025-03-05: 10 minutes on Twilio, 0.085; on its trunk (the default
    // 0.004 in) 0.04, so 0.045 to save
    List<Object> next = values(report("from", "2025-03-04", "to", "2025-03-06").get(0));
    assertThat(next.subList(0, 4)).containsExactly(acme, "twilio", 1L, 1L);
    assertThat(List.of(next.get(15), next.get(16), next.get(26), next.get(27))).containsExactly("10", "0.085", "0.04",
        "0.045");
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theHttpViewShowsTheSameFiguresSideBySideWithTheShareAndTheMonthlySaving() throws Exception {
    HttpResponse<String> all = get("/api/providers/comparison?from=2025-03-01&to=2025-03-03", ADMIN);
    assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
    JsonNode body = json.readTree(all.body());
    assertThat(body.get("from").asText()).isEqualTo("2025-03-01T00:00Z");
    assertThat(body.get("to").asText()).isEqualTo("2025-03-04T00:00Z");
    assertThat(body.get("periodDays").decimalValue()).isEqualByComparingTo("3");
    JsonNode tenants = body.get("tenants");
    assertThat(tenants).hasSize(2);
    JsonNode acmeView = tenants.get(0);
    assertThat(acmeView.get("tenant").asLong()).isEqualTo(acme);
    assertThat(acmeView.get("name").asText()).isEqualTo("acme");
    assertThat(acmeView.get("asteriskShare").asInt()).isEqualTo(30);

    // every figure of the report, under its provider
    Result<Record> rows = report("from", "2025-03-01", "to", "2025-03-03");
    for (Record r : rows) {
      JsonNode tenant = r.get("tenant_id", Long.class) == acme ? acmeView : tenants.get(1);
      JsonNode side = tenant.get("providers").get(r.get("provider", String.class));
      for (String column : COLUMNS.subList(2, COLUMNS.size())) {
        Object v = r.get(column);
        JsonNode n = side.get(column);
        if (v == null) {
          assertThat(n.isNull()).as(column).isTrue();
        } else if (column.equals("failures")) {
          assertThat(n).as(column).isEqualTo(json.readTree(((JSONB) v).data()));
        } else if (v instanceof BigDecimal b) {
          assertThat(n.decimalValue()).as(column).isEqualByComparingTo(b);
        } else {
          assertThat(n.asLong()).as(column).isEqualTo(((Number) v).longValue());
        }
      }
    }
    assertThat(acmeView.at("/providers/twilio/saved_if_moved").decimalValue()).isEqualByComparingTo("0.0469");
    // all of acme on Asterisk: the period's 6 Twilio minutes would have saved 0.0469 in 3 days, 0.469 in 30
    assertThat(acmeView.at("/ifAllOnAsterisk/twilioBilledMinutes").decimalValue()).isEqualByComparingTo("6");
    assertThat(acmeView.at("/ifAllOnAsterisk/savedInPeriod").decimalValue()).isEqualByComparingTo("0.0469");
    assertThat(acmeView.at("/ifAllOnAsterisk/projectedMonthlySaving").decimalValue()).isEqualByComparingTo("0.469");
    // beta: no Twilio calls, its share follows telephony.provider, nothing left to move
    JsonNode betaView = tenants.get(1);
    // beta has no share of its own: telephony.provider's (asterisk here) is in force
    assertThat(betaView.get("asteriskShare").asInt()).isEqualTo(100);
    assertThat(betaView.get("asteriskShareFrom").asText()).isEqualTo("telephony.provider");
    assertThat(betaView.at("/providers/twilio").isNull()).isTrue();
    assertThat(betaView.at("/providers/asterisk/total_cost").decimalValue()).isEqualByComparingTo("0.003");
    assertThat(betaView.at("/ifAllOnAsterisk/projectedMonthlySaving").decimalValue()).isEqualByComparingTo("0");

    // a tenant token sees only its own tenant, asked for or not
    JsonNode own = json.readTree(get("/api/providers/comparison?from=2025-03-01&to=2025-03-03", ACME_TOKEN).body());
    assertThat(own.get("tenants")).hasSize(1);
    assertThat(own.get("tenants").get(0)).isEqualTo(acmeView);
    assertThat(json.readTree(get("/api/providers/comparison?tenant=" + acme + "&from=2025-03-01&to=2025-03-03",
        ACME_TOKEN).body())).isEqualTo(own);
    // a tenant without calls in the period is still shown when asked for
    JsonNode quiet = json.readTree(get("/api/providers/comparison?from=2025-04-01&to=2025-04-01", BETA_TOKEN).body());
    assertThat(quiet.get("tenants")).hasSize(1);
    assertThat(quiet.at("/tenants/0/providers/asterisk").isNull()).isTrue();
    assertThat(quiet.at("/tenants/0/ifAllOnAsterisk/projectedMonthlySaving").decimalValue()).isEqualByComparingTo("0");
  }

  @Test
  void refusesAnotherTenantsFiguresUnknownTenantsAndBadDatesClearly() throws Exception {
    HttpResponse<String> other = get("/api/providers/comparison?tenant=" + beta, ACME_TOKEN);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(other.body()).contains("no tenant " + beta).doesNotContain("beta").doesNotContain("0.003");
    HttpResponse<String> unknown = get("/api/providers/comparison?tenant=999999", ADMIN);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json.readTree(unknown.body()).get("error").asText()).isEqualTo("no tenant 999999");

    HttpResponse<String> badDate = get("/api/providers/comparison?from=yesterday", ADMIN);
    assertThat(badDate.statusCode()).isEqualTo(400);
    assertThat(json.readTree(badDate.body()).get("field").asText()).isEqualTo("from");
    assertThat(json.readTree(badDate.body()).get("error").asText()).contains("'yesterday' is not a date");
    HttpResponse<String> backwards = get("/api/providers/comparison?from=2025-03-05&to=2025-03-01", ADMIN);
    assertThat(backwards.statusCode()).isEqualTo(400);
    assertThat(backwards.body()).contains("must be before to");
    HttpResponse<String> segment = get("/api/providers/comparison?segment=twilio-main", ADMIN);
    assertThat(segment.statusCode()).isEqualTo(400);
    assertThat(json.readTree(segment.body()).get("field").asText()).isEqualTo("segment");
    assertThat(get("/api/providers/comparison?tenant=acme", ADMIN).statusCode()).isEqualTo(400);
    assertThat(get("/api/providers/comparison", "not-a-token-0123456789").statusCode()).isEqualTo(401);
  }

  private static long tenant(DSLContext dsl, String name, String token, boolean transcription, Short share) {
    return dsl.insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.TRANSCRIPTION_ENABLED, transcription)
        .set(TENANT.ASTERISK_SHARE, share).set(TENANT.API_TOKEN_HASH, Auth.hash(token)).returning(TENANT.ID)
        .fetchOne().getId();
  }

  private static UUID did(DSLContext dsl, long tenant, String number, String trunk) {
    return dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, number).set(DID.SEGMENT, "main")
        .set(DID.TRUNK, trunk).returning(DID.ID).fetchOne().getId();
  }

  private static OffsetDateTime t(String iso) {
    return iso == null ? null : OffsetDateTime.parse(iso);
  }

  private static UUID call(DSLContext dsl, long tenant, String direction, UUID did, String state, String outcome,
      String created, String answered, String connected, String firstAudio, String ended) {
    UUID id = UUID.randomUUID();
    dsl.insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, direction)
        .set(CALL.DID_ID, did).set(CALL.STATE, state).set(CALL.OUTCOME, outcome).set(CALL.CREATED_AT, t(created))
        .set(CALL.ANSWERED_AT, t(answered)).set(CALL.AGENT_CONNECTED_AT, t(connected))
        .set(CALL.FIRST_AUDIO_AT, t(firstAudio)).set(CALL.ENDED_AT, t(ended)).execute();
    return id;
  }

  private static UUID twilio(DSLContext dsl, UUID call) {
    dsl.update(CALL).set(CALL.PROVIDER, "twilio")
        .set(CALL.PROVIDER_CALL_SID, "CA" + call.toString().replace("-", "")).where(CALL.ID.eq(call)).execute();
    return call;
  }

  private static void outbound(DSLContext dsl, UUID call, long tenant, String trunk) {
    dsl.insertInto(OUTBOUND_CALL).set(OUTBOUND_CALL.CALL_ID, call).set(OUTBOUND_CALL.TENANT_ID, tenant)
        .set(OUTBOUND_CALL.CALLER_ID, "+15550100002").set(OUTBOUND_CALL.DID_SEGMENT, "main")
        .set(OUTBOUND_CALL.TRUNK, trunk).execute();
  }

  private static void job(DSLContext dsl, UUID call, long tenant, String state, String transcription) {
    dsl.insertInto(RECORDING_JOB).set(RECORDING_JOB.CALL_ID, call).set(RECORDING_JOB.TENANT_ID, tenant)
        .set(RECORDING_JOB.SOURCE_FILE, "/rec/" + call + ".wav").set(RECORDING_JOB.STATE, state)
        .set(RECORDING_JOB.STEP, state.equals("done") ? "done" : "capture")
        .set(RECORDING_JOB.TRANSCRIPTION, transcription).execute();
  }
}
