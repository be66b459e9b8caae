package io.asterline.did;

import static io.asterline.db.generated.Tables.DID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.Main;
import io.asterline.db.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code asterline dids import twilio|csv}, run as the command line runs them, against a real database. */
class DidImportTest {

  private TestDatabase.Db db;
  private DSLContext dsl;
  private long tenant;
  private long otherTenant;

  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(4);
    dsl = db.dsl();
    tenant = DidFixtures.tenant(dsl, "acme");
    otherTenant = DidFixtures.tenant(dsl, "globex");
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  // ---------------------------------------------------------------- Twilio

  private static FakeTwilio fiveNumbers(FakeTwilio twilio) {
    return twilio
        .number("PN00000000000000000000000000000001", "+14155550101", "(415) 555-0101", true, true, false)
        .number("PN00000000000000000000000000000002", "+14155550102", "Sales line", true, false, false)
        .number("PN00000000000000000000000000000003", "+12125550103", "NY", true, true, true)
        .number("PN00000000000000000000000000000004", "+12125550104", "NY 2", false, true, false)
        .number("PN00000000000000000000000000000005", "+13105550105", "LA", true, true, false);
  }

  @Test
  void importsEveryPageWithBasicAuthThenReimportChangesNothing() throws Exception {
    DidFixtures.did(dsl, tenant, "+12125550103", "old-pool");
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio())) {
      Run first = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(first.exit()).as(first.toString()).isZero();
      assertThat(first.out()).contains("3 page(s): created 4, updated 1, unchanged 0, failed 0");
      assertThat(twilio.requests.get()).isEqualTo(3);
      assertThat(twilio.queries).containsExactly("PageSize=2",
          "PageSize=2&Page=1&PageToken=PAPN1", "PageSize=2&Page=2&PageToken=PAPN2");

      assertThat(dsl.selectCount().from(DID).where(DID.TENANT_ID.eq(tenant)).and(DID.SEGMENT.eq("twilio-main"))
          .and(DID.TRUNK.eq("TWILIO")).and(DID.STATUS.eq("active")).fetchOne(0, Integer.class)).isEqualTo(5);
      JsonNode meta = DidFixtures.JSON.readTree(dsl.select(DID.METADATA).from(DID)
          .where(DID.NUMBER.eq("+14155550101")).fetchOne(DID.METADATA).data());
      assertThat(meta.path("provider").asText()).isEqualTo("Twilio");
      assertThat(meta.path("external_sid").asText()).isEqualTo("PN00000000000000000000000000000001");
      assertThat(meta.path("friendly_name").asText()).isEqualTo("(415) 555-0101");
      assertThat(meta.path("import_source").asText()).isEqualTo("twilio-api");
      assertThat(meta.path("capabilities"))
          .isEqualTo(DidFixtures.JSON.readTree("{\"voice\":true,\"sms\":true,\"mms\":false}"));

      Run again = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(again.exit()).isZero();
      assertThat(again.out()).contains("created 0, updated 0, unchanged 5, failed 0");
      assertThat(dsl.fetchCount(DID)).isEqualTo(5);

      Run moved = twilio(twilio, "--tenant", String.valueOf(tenant), "twilio-backup", "TWILIO2");
      assertThat(moved.out()).contains("created 0, updated 5, unchanged 0, failed 0");
      assertThat(dsl.selectDistinct(DID.SEGMENT, DID.TRUNK).from(DID).fetch().map(r -> r.value1() + " " + r.value2()))
          .containsExactly("twilio-backup TWILIO2");
    }
  }

  @Test
  void anApiKeyPairAuthenticatesInsteadOfTheAuthToken() throws Exception {
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio("SK0123456789abcdef0123456789abcdef", "key-secret"))) {
      Map<String, String> env = new HashMap<>();
      env.put("TWILIO_ACCOUNT_SID", FakeTwilio.ACCOUNT_SID);
      env.put("TWILIO_API_KEY_SID", "SK0123456789abcdef0123456789abcdef");
      env.put("TWILIO_API_KEY_SECRET", "key-secret");
      Run run = run(env, options(twilio, "dids", "import", "twilio", "--tenant", String.valueOf(tenant)));
      assertThat(run.exit()).as(run.toString()).isZero();
      assertThat(run.out()).contains("created 5");
    }
  }

  @Test
  void refusedCredentialsStopAtOnceWithoutShowingTheToken() throws Exception {
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio(FakeTwilio.ACCOUNT_SID, "the-real-token"))) {
      Run run = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err()).contains("HTTP 401").contains("Authentication Error").contains("TWILIO_AUTH_TOKEN");
      assertThat(run.out() + run.err()).doesNotContain(FakeTwilio.AUTH_TOKEN);
      assertThat(twilio.requests.get()).as("a refusal is not retried").isEqualTo(1);
      assertThat(dsl.fetchCount(DID)).isZero();
    }
  }

  @Test
  void aPageThatFailsTwiceIsRetriedAndTheImportCompletes() throws Exception {
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio())) {
      twilio.failPage(1, 2);
      Run run = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(run.exit()).as(run.toString()).isZero();
      assertThat(run.out()).contains("created 5, updated 0, unchanged 0, failed 0");
      assertThat(twilio.requests.get()).isEqualTo(5);
      assertThat(dsl.fetchCount(DID)).isEqualTo(5);
    }
  }

  @Test
  void aPageThatAlwaysFailsStopsTheImportKeepingTheWholePagesBeforeIt() throws Exception {
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio())) {
      twilio.failPage(1, -1);
      Run run = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err()).contains("import stopped").contains("Page=1").contains("failed 4 times")
          .contains("HTTP 503");
      assertThat(run.out()).contains("created 2, updated 0, unchanged 0, failed 0");
      assertThat(twilio.requests.get()).as("first page, then the second page 1 + 3 retries").isEqualTo(5);
      assertThat(dsl.select(DID.NUMBER).from(DID).orderBy(DID.NUMBER).fetch(DID.NUMBER))
          .containsExactly("+14155550101", "+14155550102");
    }
  }

  @Test
  void anotherTenantsNumberIsReportedAndLeftAlone() throws Exception {
    DidFixtures.did(dsl, otherTenant, "+14155550102", "theirs");
    try (FakeTwilio twilio = fiveNumbers(new FakeTwilio())) {
      Run run = twilio(twilio, "--tenant", String.valueOf(tenant));
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.out()).contains("PN00000000000000000000000000000002: +14155550102 belongs to another tenant")
          .contains("created 4, updated 0, unchanged 0, failed 1");
      assertThat(dsl.select(DID.TENANT_ID, DID.SEGMENT).from(DID).where(DID.NUMBER.eq("+14155550102")).fetchOne()
          .intoArray()).containsExactly(otherTenant, "theirs");
    }
  }

  @Test
  void missingCredentialsAreNamed() {
    Run run = run(Map.of(), "dids", "import", "twilio", "-Ddatabase.url=" + db.jdbcUrl());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("twilio.account-sid").contains("TWILIO_ACCOUNT_SID");
  }

  // ---------------------------------------------------------------- CSV

  @Test
  void csvImportsGoodRowsAndReportsBadOnesByLine() throws Exception {
    Path file = dir.resolve("didww.csv");
    Files.writeString(file, String.join("\n",
        "Number,Friendly Name,Country,Status",          // line 1
        "12025550101,Main line,US,",                     // 2: no +, 11 digits: international
        "+1 (202) 555-0102,\"Support, 2nd floor\",US,active", // 3
        "12ab,Broken,US,",                               // 4: not a number
        "+12025550104,Too,many,fields,here",             // 5: field count
        ",Nameless,US,",                                 // 6: no number
        "+12025550106,Odd status,US,parked",             // 7: unknown status
        "\"+12025550107\",\"Multi",                      // 8: a quoted line break...
        "line\",US,available",                           // 9  ...continues here
        "",                                              // 10: blank, ignored
        "2025550110,National,US,"), StandardCharsets.UTF_8); // 11: national: +1 added
    Run run = csv(file, "--segment", "didww-us", "--trunk", "DIDWW", "--tenant", String.valueOf(tenant),
        "--provider", "DIDWW");
    assertThat(run.exit()).as("some rows failed").isEqualTo(1);
    assertThat(run.out())
        .contains("line 4: '12ab' is not a phone number")
        .contains("line 5: 5 fields where the header has 4; skipped")
        .contains("line 6: no number; skipped")
        .contains("line 7: unknown status 'parked'")
        .contains("created 4, updated 0, unchanged 0, failed 4");
    assertThat(dsl.select(DID.NUMBER, DID.STATUS).from(DID).where(DID.SEGMENT.eq("didww-us")).and(DID.TRUNK.eq("DIDWW"))
        .orderBy(DID.NUMBER).fetch().map(r -> r.value1() + " " + r.value2()))
        .containsExactly("+12025550101 active", "+12025550102 active", "+12025550107 available",
            "+12025550110 active");
    JsonNode meta = DidFixtures.JSON.readTree(dsl.select(DID.METADATA).from(DID)
        .where(DID.NUMBER.eq("+12025550102")).fetchOne(DID.METADATA).data());
    assertThat(meta.path("friendly_name").asText()).isEqualTo("Support, 2nd floor");
    assertThat(meta.path("provider").asText()).isEqualTo("DIDWW");
    assertThat(meta.path("import_source").asText()).isEqualTo("csv");

    Run again = csv(file, "--segment", "didww-us", "--trunk", "DIDWW", "--tenant", String.valueOf(tenant),
        "--provider", "DIDWW");
    assertThat(again.out()).contains("created 0, updated 0, unchanged 4, failed 4");
    assertThat(dsl.fetchCount(DID)).isEqualTo(4);
  }

  @Test
  void csvWithSemicolonsAndOnlyGoodRowsExitsZero() throws Exception {
    Path file = dir.resolve("export.csv");
    Files.writeString(file, "\uFEFFphone_number;provider\r\n+442071234567;Voxbone\r\n4915112345678;DIDWW\r\n");
    // no --tenant: the configured default tenant
    Run run = csv(file, "--segment", "eu", "--trunk", "EU-TRUNK", "-Dtenant.default-id=" + otherTenant);
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.out()).contains("created 2, updated 0, unchanged 0, failed 0");
    assertThat(dsl.select(DID.NUMBER, DID.TENANT_ID).from(DID).orderBy(DID.NUMBER).fetch()
        .map(r -> r.value1() + " " + r.value2()))
        .containsExactly("+442071234567 " + otherTenant, "+4915112345678 " + otherTenant);
    JsonNode meta = DidFixtures.JSON.readTree(dsl.select(DID.METADATA).from(DID)
        .where(DID.NUMBER.eq("+442071234567")).fetchOne(DID.METADATA).data());
    assertThat(meta.path("provider").asText()).isEqualTo("Voxbone");

    Run ambiguous = csv(file, "--segment", "eu", "--trunk", "EU-TRUNK");
    assertThat(ambiguous.exit()).isEqualTo(2);
    assertThat(ambiguous.err()).contains("there are 2 tenants: name one with --tenant ID");
  }

  @Test
  void csvWithoutANumberColumnIsRefused() throws Exception {
    Path file = dir.resolve("bad.csv");
    Files.writeString(file, "name,city\nfoo,bar\n");
    Run run = csv(file, "--segment", "s", "--trunk", "T", "--tenant", String.valueOf(tenant));
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("the header names no number column").contains("name, city");
  }

  @Test
  void anUnknownTenantOrABadSegmentIsAUsageError() throws Exception {
    Path file = dir.resolve("one.csv");
    Files.writeString(file, "number\n+12025550101\n");
    Run unknown = csv(file, "--segment", "s", "--trunk", "T", "--tenant", "999");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("--tenant 999: no such tenant");
    Run bad = csv(file, "--segment", "no spaces", "--trunk", "T", "--tenant", String.valueOf(tenant));
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--segment 'no spaces' must be");
    assertThat(dsl.fetchCount(DID)).isZero();
  }

  // ---------------------------------------------------------------- running the command line

  private Run twilio(FakeTwilio twilio, String... args) {
    Map<String, String> env = Map.of("TWILIO_ACCOUNT_SID", FakeTwilio.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN", FakeTwilio.AUTH_TOKEN);
    List<String> all = new ArrayList<>(List.of("dids", "import", "twilio"));
    all.addAll(List.of(args));
    return run(env, options(twilio, all.toArray(String[]::new)));
  }

  private String[] options(FakeTwilio twilio, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("-Ddatabase.url=" + db.jdbcUrl());
    all.add("-Dtwilio.api-base-url=" + twilio.baseUrl());
    all.add("-Dtwilio.page-size=2");
    all.add("-Dtwilio.retries=3");
    all.add("-Dtwilio.retry-backoff=5ms");
    return all.toArray(String[]::new);
  }

  private Run csv(Path file, String... args) {
    List<String> all = new ArrayList<>(List.of("dids", "import", "csv", file.toString()));
    all.addAll(List.of(args));
    all.add("-Ddatabase.url=" + db.jdbcUrl());
    return run(Map.of(), all.toArray(String[]::new));
  }

  private static Run run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(env);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }
}
