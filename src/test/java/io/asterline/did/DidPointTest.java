package io.asterline.did;

import static io.asterline.db.generated.Tables.DID;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.Main;
import io.asterline.db.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code asterline dids point NUMBER... --to twilio|asterisk}, run as the command line runs it, against Twilio's
 * IncomingPhoneNumbers resource (the stand-in) and a real database; and where {@code dids import twilio} records
 * each number points.
 */
class DidPointTest {

  private static final String BASE = "https://asterline.example.com";
  private static final String TRUNK = "TK0123456789abcdef0123456789abcdef";
  private static final String OTHER_TRUNK = "TKfedcba9876543210fedcba9876543210";
  private static final String PN1 = "PN00000000000000000000000000000001";
  private static final String PN2 = "PN00000000000000000000000000000002";
  private static final String PN3 = "PN00000000000000000000000000000003";
  private static final String PN4 = "PN00000000000000000000000000000004";

  private TestDatabase.Db db;
  private DSLContext dsl;
  private long tenant;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(4);
    dsl = db.dsl();
    tenant = DidFixtures.tenant(dsl, "acme");
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  /** On a trunk, on Asterline's webhook, on someone else's webhook, on nothing. */
  private static FakeTwilio fourNumbers(FakeTwilio twilio) {
    return twilio
        .number(PN1, "+14155550101", "on the trunk", true, true, false, "https://old.example.com/voice", TRUNK)
        .number(PN2, "+14155550102", "on our webhook", true, false, false, BASE + "/twilio/voice", null)
        .number(PN3, "+12125550103", "elsewhere", true, true, true, "https://demo.twilio.com/welcome/voice/", null)
        .number(PN4, "+12125550104", "nothing", true, true, false, null, null);
  }

  @Test
  void importRecordsWhereEachNumberPointsNow() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      Run run = importAll(twilio);
      assertThat(run.exit()).as(run.toString()).isZero();
      assertThat(meta("+14155550101").path("points_to").asText()).isEqualTo("asterisk");
      assertThat(meta("+14155550101").path("trunk_sid").asText()).isEqualTo(TRUNK);
      assertThat(meta("+14155550102").path("points_to").asText()).isEqualTo("twilio");
      assertThat(meta("+14155550102").path("trunk_sid").isNull()).isTrue();
      assertThat(meta("+12125550103").path("points_to").asText()).isEqualTo("elsewhere");
      assertThat(meta("+12125550103").path("voice_url").asText()).isEqualTo("https://demo.twilio.com/welcome/voice/");
      assertThat(meta("+12125550104").path("points_to").asText()).isEqualTo("elsewhere");

      Run again = importAll(twilio);
      assertThat(again.out()).contains("created 0, updated 0, unchanged 4, failed 0");
    }
  }

  @Test
  void pointingTwoNumbersToTwilioSendsTheDocumentedFormAndRecordsIt() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      assertThat(importAll(twilio).exit()).isZero();
      int before = twilio.requests.get();

      Run run = point(twilio, List.of("-Dtwilio.webhook-base-url=" + BASE + "/"),
          "+14155550101", "(212) 555-0103", "--to", "twilio");
      assertThat(run.exit()).as(run.toString()).isZero();
      assertThat(twilio.requests.get() - before).isEqualTo(2);

      Map<String, String> expected = new LinkedHashMap<>();
      expected.put("VoiceUrl", BASE + "/twilio/voice");
      expected.put("VoiceMethod", "POST");
      expected.put("StatusCallback", BASE + "/twilio/voice-status");
      expected.put("StatusCallbackMethod", "POST");
      expected.put("TrunkSid", "");
      assertThat(twilio.updates).extracting(FakeTwilio.Update::sid).containsExactly(PN1, PN3);
      for (FakeTwilio.Update u : twilio.updates) {
        assertThat(u.form()).containsExactlyEntriesOf(expected);
        assertThat(u.contentType()).startsWith("application/x-www-form-urlencoded");
      }
      assertThat(twilio.get(PN1).trunkSid()).as("the trunk is detached at Twilio").isNull();
      assertThat(twilio.get(PN1).voiceUrl()).isEqualTo(BASE + "/twilio/voice");

      assertThat(run.out()).contains("+14155550101 -> twilio (" + BASE + "/twilio/voice)")
          .contains("+12125550103 -> twilio (" + BASE + "/twilio/voice)")
          .contains("pointed 2 to twilio, failed 0");
      assertThat(meta("+14155550101").path("points_to").asText()).isEqualTo("twilio");
      assertThat(meta("+14155550101").path("trunk_sid").isNull()).isTrue();
      assertThat(meta("+14155550101").path("external_sid").asText()).as("the rest of the metadata is kept")
          .isEqualTo(PN1);
      assertThat(meta("+12125550103").path("points_to").asText()).isEqualTo("twilio");
      assertThat(meta("+12125550104").path("points_to").asText()).as("not named, not touched").isEqualTo("elsewhere");
    }
  }

  @Test
  void pointingToAsteriskAttachesTheTrunkGivenOrConfigured() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      assertThat(importAll(twilio).exit()).isZero();

      Run run = point(twilio, List.of(), "+14155550102", "--to", "asterisk", "--trunk-sid", OTHER_TRUNK);
      assertThat(run.exit()).as(run.toString()).isZero();
      assertThat(twilio.updates).hasSize(1);
      assertThat(twilio.updates.get(0).sid()).isEqualTo(PN2);
      assertThat(twilio.updates.get(0).form()).containsExactlyEntriesOf(Map.of("TrunkSid", OTHER_TRUNK));
      assertThat(run.out()).contains("+14155550102 -> asterisk (trunk " + OTHER_TRUNK + ")");
      assertThat(meta("+14155550102").path("points_to").asText()).isEqualTo("asterisk");
      assertThat(meta("+14155550102").path("trunk_sid").asText()).isEqualTo(OTHER_TRUNK);

      Run configured = point(twilio, List.of("-Dtwilio.trunk-sid=" + TRUNK), "+12125550104", "--to", "asterisk");
      assertThat(configured.exit()).as(configured.toString()).isZero();
      assertThat(twilio.updates.get(1).form()).containsExactlyEntriesOf(Map.of("TrunkSid", TRUNK));
      assertThat(meta("+12125550104").path("trunk_sid").asText()).isEqualTo(TRUNK);
    }
  }

  @Test
  void aNumberThatCannotBePointedFailsWithAClearLineWhileTheOthersGoOn() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      assertThat(importAll(twilio).exit()).isZero();
      // a DID Asterline has but not from Twilio, and one whose Twilio number is gone from the account
      DidFixtures.did(dsl, tenant, "+13105550199", "didww");
      dsl.update(DID).set(DID.METADATA, JSONB.valueOf(
              "{\"provider\":\"Twilio\",\"external_sid\":\"PN0000000000000000000000000000dead\"}"))
          .where(DID.NUMBER.eq("+12125550104")).execute();
      JsonNode goneBefore = meta("+12125550104");

      Run run = point(twilio, List.of("-Dtwilio.webhook-base-url=" + BASE),
          "+19995550000", "+13105550199", "+12125550104", "not-a-number", "+12125550103", "--to", "twilio");
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err())
          .contains("+19995550000: not a DID of Asterline")
          .contains("+13105550199: has no Twilio number SID")
          .contains("+12125550104 (PN0000000000000000000000000000dead): Twilio answered HTTP 404: The requested"
              + " resource")
          .contains("not-a-number: ");
      assertThat(run.out()).contains("+12125550103 -> twilio").contains("pointed 1 to twilio, failed 4");
      assertThat(twilio.updates).extracting(FakeTwilio.Update::sid)
          .as("only the numbers with a Twilio SID reach Twilio").containsExactly(
              "PN0000000000000000000000000000dead", PN3);
      assertThat(meta("+12125550104")).as("nothing recorded for a refused number").isEqualTo(goneBefore);
      assertThat(meta("+13105550199").has("points_to")).isFalse();
      assertThat(meta("+12125550103").path("points_to").asText()).isEqualTo("twilio");
    }
  }

  @Test
  void withoutTheWebhookBaseUrlNothingIsSent() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      assertThat(importAll(twilio).exit()).isZero();
      int before = twilio.requests.get();
      Run run = point(twilio, List.of(), "+14155550101", "--to", "twilio");
      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.err()).contains("twilio.webhook-base-url").contains("TWILIO_WEBHOOK_BASE_URL");
      assertThat(twilio.requests.get()).isEqualTo(before);
      assertThat(meta("+14155550101").path("points_to").asText()).isEqualTo("asterisk");

      Run noTrunk = point(twilio, List.of(), "+14155550102", "--to", "asterisk");
      assertThat(noTrunk.exit()).isEqualTo(2);
      assertThat(noTrunk.err()).contains("--trunk-sid").contains("TWILIO_TRUNK_SID");
      Run badTrunk = point(twilio, List.of(), "+14155550102", "--to", "asterisk", "--trunk-sid", "TK12");
      assertThat(badTrunk.exit()).isEqualTo(2);
      assertThat(badTrunk.err()).contains("--trunk-sid 'TK12' is not a Twilio trunk SID");
      Run badTarget = point(twilio, List.of(), "+14155550102", "--to", "sip");
      assertThat(badTarget.exit()).isEqualTo(2);
      assertThat(badTarget.err()).contains("--to 'sip': twilio or asterisk");
      assertThat(twilio.requests.get()).isEqualTo(before);
    }
  }

  @Test
  void refusedCredentialsAreReportedPerNumberWithoutTheToken() throws Exception {
    try (FakeTwilio twilio = fourNumbers(new FakeTwilio())) {
      assertThat(importAll(twilio).exit()).isZero();
      try (FakeTwilio other = fourNumbers(new FakeTwilio(FakeTwilio.ACCOUNT_SID, "the-real-token"))) {
        Run run = point(other, List.of("-Dtwilio.webhook-base-url=" + BASE), "+14155550101", "--to", "twilio");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("+14155550101 (" + PN1 + "): Twilio refused the credentials")
            .contains("HTTP 401");
        assertThat(run.out() + run.err()).doesNotContain(FakeTwilio.AUTH_TOKEN);
        assertThat(other.updates).isEmpty();
        assertThat(meta("+14155550101").path("points_to").asText()).isEqualTo("asterisk");
      }
    }
  }

  // ---------------------------------------------------------------- running the command line

  private JsonNode meta(String number) throws Exception {
    return DidFixtures.JSON.readTree(dsl.select(DID.METADATA).from(DID).where(DID.NUMBER.eq(number))
        .fetchOne(DID.METADATA).data());
  }

  private Run importAll(FakeTwilio twilio) {
    return run(twilio, List.of("dids", "import", "twilio", "--tenant", String.valueOf(tenant),
        "-Dtwilio.webhook-base-url=" + BASE));
  }

  private Run point(FakeTwilio twilio, List<String> options, String... args) {
    List<String> all = new ArrayList<>(List.of("dids", "point"));
    all.addAll(List.of(args));
    all.addAll(options);
    return run(twilio, all);
  }

  private Run run(FakeTwilio twilio, List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.add("-Ddatabase.url=" + db.jdbcUrl());
    all.add("-Dtwilio.api-base-url=" + twilio.baseUrl());
    all.add("-Dtwilio.page-size=2");
    all.add("-Dtwilio.retries=1");
    all.add("-Dtwilio.retry-backoff=5ms");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine(Map.of("TWILIO_ACCOUNT_SID", FakeTwilio.ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN", FakeTwilio.AUTH_TOKEN));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(all.toArray(String[]::new));
    Run run = new Run(exit, out.toString(), err.toString());
    assertThat(run.out() + run.err()).as("the auth token is never shown").doesNotContain(FakeTwilio.AUTH_TOKEN);
    return run;
  }
}
