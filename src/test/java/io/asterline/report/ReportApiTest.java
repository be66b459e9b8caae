package io.asterline.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.Main;
import io.asterline.config.Json;
import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.http.HttpConfig;
import io.asterline.http.HttpServer;
import io.asterline.tenant.TenantRepository;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code GET /api/reports/{name}} with admin and tenant tokens, and the {@code report} command. */
class ReportApiTest {

  private static final String ADMIN = "report-admin-token-0123456789";

  @TempDir
  Path dir;

  private TestDatabase.Db db;
  private ReportSeed seed;
  private HttpServer http;
  private final HttpClient client = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void setUp() throws Exception {
    db = TestDatabase.fresh(4);
    seed = new ReportSeed(db.dsl());
    Files.writeString(dir.resolve("calls_per_tenant.sql"), """
        -- title: Calls per tenant
        -- description: Every tenant's calls.
        SELECT tenant_id, count(*) AS calls FROM call GROUP BY tenant_id ORDER BY tenant_id
        """);
    TenantRepository tenants = new TenantRepository(db.dsl());
    http = new HttpServer(new HttpConfig(InetAddress.getLoopbackAddress(), 0, Optional.empty(), Optional.of(ADMIN)),
        Json.mapper())
        .auth(new Auth(Optional.of(ADMIN), tenants::activeTenantByTokenHash));
    http.routes(Reports.start(new ReportConfig(dir, Duration.ofSeconds(30)), db.dsl()).routes());
    http.start();
  }

  @AfterEach
  void tearDown() {
    http.close();
    db.close();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theAdminSeesEveryTenantAndATenantOnlyItself() throws Exception {
    HttpResponse<String> all = get("/api/reports/did_usage_by_segment", ADMIN);
    assertThat(all.statusCode()).isEqualTo(200);
    assertThat(all.headers().firstValue("Content-Type")).get().asString().startsWith("application/json");
    JsonNode rows = json.readTree(all.body());
    assertThat(rows).hasSize(2);
    assertThat(rows.get(1).get("segment").asText()).isEqualTo("twilio-main");
    assertThat(rows.get(1).get("total_dids").asInt()).isEqualTo(4);
    assertThat(rows.get(1).get("max_usage").asInt()).isEqualTo(100);

    HttpResponse<String> own = get("/api/reports/did_usage_by_segment", ReportSeed.token("acme"));
    assertThat(own.statusCode()).isEqualTo(200);
    JsonNode acme = json.readTree(own.body());
    assertThat(acme.get(1).get("total_dids").asInt()).isEqualTo(3);
    assertThat(acme.get(1).get("max_usage").asInt()).isEqualTo(30);
    assertThat(get("/api/reports/did_usage_by_segment?tenant=" + seed.acme, ReportSeed.token("acme")).body())
        .isEqualTo(own.body());
    assertThat(get("/api/reports/did_usage_by_segment?tenant=" + seed.beta, ReportSeed.token("acme")).statusCode())
        .isEqualTo(404);
    HttpResponse<String> everyone = get("/api/reports/calls_per_tenant", ReportSeed.token("acme"));
    assertThat(everyone.statusCode()).isEqualTo(403);
    assertThat(everyone.body()).contains("covers all tenants");
    assertThat(get("/api/reports/calls_per_tenant", ADMIN).statusCode()).isEqualTo(200);

    JsonNode listed = json.readTree(get("/api/reports", ReportSeed.token("acme")).body()).get("reports");
    assertThat(listed.findValuesAsText("name")).contains("did_usage_by_segment").doesNotContain("calls_per_tenant");
    assertThat(json.readTree(get("/api/reports", ADMIN).body()).get("reports").findValuesAsText("name"))
        .contains("calls_per_tenant", "concurrent_calls_per_hour");
  }

  @Test
  void formatsAndBadParametersOverHttp() throws Exception {
    HttpResponse<String> csv = get("/api/reports/call_success_rate?from=2025-03-01&to=2025-03-01&format=csv", ADMIN);
    assertThat(csv.statusCode()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).get().asString().startsWith("text/csv");
    assertThat(csv.body().lines()).hasSize(4).first().isEqualTo("day,direction,tenant_id,calls,succeeded,failed,success_pct");
    HttpResponse<String> html = get("/api/reports/concurrent_calls_per_hour?from=2025-03-01T10:00:00Z"
        + "&to=2025-03-01T12:00:00Z&format=html", ADMIN);
    assertThat(html.headers().firstValue("Content-Type")).get().asString().startsWith("text/html");
    assertThat(html.body()).contains("<svg").contains("2025-03-01 10:00");

    HttpResponse<String> badDate = get("/api/reports/call_success_rate?from=yesterday", ADMIN);
    assertThat(badDate.statusCode()).isEqualTo(400);
    JsonNode error = json.readTree(badDate.body());
    assertThat(error.get("field").asText()).isEqualTo("from");
    assertThat(error.get("error").asText()).contains("'yesterday' is not a date");
    HttpResponse<String> unknown = get("/api/reports/nope", ADMIN);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json.readTree(unknown.body()).get("field").asText()).isEqualTo("name");
    assertThat(json.readTree(get("/api/reports/did_usage_by_segment?format=pdf", ADMIN).body()).get("field").asText())
        .isEqualTo("format");
    assertThat(json.readTree(get("/api/reports/did_usage_by_segment?from=2025-01-01", ADMIN).body()).get("error")
        .asText()).isEqualTo("parameter from: report 'did_usage_by_segment' does not take it (it takes: tenant, segment)");
  }

  @Test
  void theReportCommandListsAndRunsThroughJooq() {
    String url = "-Ddatabase.url=" + db.jdbcUrl();
    String reports = "-Dreports.dir=" + dir;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));

    assertThat(cli.execute("report", "list", reports)).isZero();
    assertThat(out.toString()).contains("did_usage_by_segment", "DID usage by segment", "--tenant --segment",
        "calls_per_tenant", "failing_trunks", "time_to_first_audio");

    out.getBuffer().setLength(0);
    assertThat(cli.execute("report", "run", "did_usage_by_segment", "--tenant", Long.toString(seed.acme),
        "--format", "csv", url, reports)).isZero();
    assertThat(out.toString()).isEqualTo("""
        segment,total_dids,usable_dids,total_usage,avg_usage,max_usage
        didww,1,1,5,5.00,5
        twilio-main,3,2,60,20.00,30
        """);

    out.getBuffer().setLength(0);
    assertThat(cli.execute("report", "run", "concurrent_calls_per_hour", "--from", "2025-03-01T10:00:00Z",
        "--to", "2025-03-01T12:00:00Z", url, reports)).isZero();
    assertThat(out.toString()).contains("Concurrent calls per hour").contains("peak_calls by hour")
        .contains("2025-03-01 10:00 |" + "#".repeat(40) + " 2");

    assertThat(cli.execute("report", "run", "call_success_rate", "--from", "2025-13-01", url, reports)).isEqualTo(2);
    assertThat(err.toString()).contains("--from: parameter from: '2025-13-01' is not a date");
    assertThat(cli.execute("report", "run", "nope", url, reports)).isEqualTo(2);
    assertThat(err.toString()).contains("no report named 'nope'");
    assertThat(cli.execute("report", "run", "did_usage_by_segment", "--format", "xml", url, reports)).isEqualTo(2);
    assertThat(err.toString()).contains("--format: parameter format: expected table, csv, json or html");
  }
}
