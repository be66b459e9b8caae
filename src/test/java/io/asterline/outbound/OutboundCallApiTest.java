package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /api/outbound/call against a fake Asterisk: what reaches AMI, what the caller is told, what is stored. */
class OutboundCallApiTest {

  OutboundFixture f;
  UUID did;

  @BeforeEach
  void setUp() throws Exception {
    f = OutboundFixture.start();
    did = f.did("+15550001111", "default", "TWILIO");
    f.awaitAmiUp();
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  private HttpResponse<String> call(String body) throws Exception {
    return f.post("/api/outbound/call", f.token, body);
  }

  @Test
  void originateCarriesExactlyTheFieldsTheDialplanNeeds() throws Exception {
    HttpResponse<String> r = call("{\"business_id\":" + f.tenant + ",\"lead_id\":123,\"to_number\":\"+12345678900\","
        + "\"transfer_number\":\"+15557654321\",\"audio_file\":\"custom/voice_template_123\","
        + "\"voicemail_action\":\"leave_message\",\"voicemail_message\":\"Hi, this is Acme.\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode body = f.read(r);
    String callId = body.path("call_id").asText();
    assertThat(body.path("state").asText()).isEqualTo("ringing");
    assertThat(body.path("caller_id").asText()).isEqualTo("+15550001111");
    assertThat(body.path("did_id").asText()).isEqualTo(did.toString());
    assertThat(body.path("lead_id").asLong()).isEqualTo(123);

    FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
    assertThat(o).isNotNull();
    assertThat(o.get("Channel")).isEqualTo("PJSIP/+12345678900@TWILIO");
    assertThat(o.get("Context")).isEqualTo("asterline-outbound");
    assertThat(o.get("Exten")).isEqualTo("s");
    assertThat(o.get("Priority")).isEqualTo("1");
    assertThat(o.get("CallerID")).isEqualTo("+15550001111");
    assertThat(o.get("Timeout")).isEqualTo("30000");
    assertThat(o.get("Async")).isEqualTo("true");
    assertThat(o.get("ChannelId")).isEqualTo(callId);
    // asterisk-java puts its own prefix before our ActionID and strips it from what comes back
    assertThat(o.get("ActionID")).endsWith(callId);
    assertThat(o.all("Variable")).containsExactlyInAnyOrder(
        "ASTERLINE_CALL_ID=" + callId,
        "ASTERLINE_TENANT_ID=" + f.tenant,
        "ASTERLINE_DIRECTION=outbound",
        "ASTERLINE_AUDIOSOCKET=127.0.0.1:9092",
        "ASTERLINE_TRUNK=TWILIO",
        "ASTERLINE_RECORDING=/var/spool/asterisk/recordings/" + f.tenant + "/" + callId + ".wav",
        "ASTERLINE_TRANSFER_NUMBER=+15557654321",
        "ASTERLINE_AUDIO_FILE=custom/voice_template_123");
    assertThat(o.all("Variable")).allSatisfy(v -> assertThat(v).doesNotContain(","));

    JsonNode stored = f.read(f.get("/api/calls/" + callId, f.token));
    assertThat(stored.path("direction").asText()).isEqualTo("outbound");
    assertThat(stored.path("state").asText()).isEqualTo("ringing");
    assertThat(stored.path("caller_id").asText()).isEqualTo("+15550001111");
    assertThat(stored.path("remote_number").asText()).isEqualTo("+12345678900");
    assertThat(stored.path("lead_id").asLong()).isEqualTo(123);
    var settings = f.dsl.selectFrom(OUTBOUND_CALL).where(OUTBOUND_CALL.CALL_ID.eq(UUID.fromString(callId))).fetchOne();
    assertThat(settings.getTransferNumber()).isEqualTo("+15557654321");
    assertThat(settings.getVoicemailAction()).isEqualTo("leave_message");
    assertThat(settings.getVoicemailMessage()).isEqualTo("Hi, this is Acme.");
    assertThat(settings.getOriginatedAt()).isNotNull();
    assertThat(f.usage(did)).isEqualTo(1);
  }

  @Test
  void loginAnswersTheChallengeWithoutSendingThePassword() {
    List<FakeAmi.Packet> sent = f.ami.received();
    FakeAmi.Packet challenge = sent.stream().filter(p -> "Challenge".equalsIgnoreCase(p.action())).findFirst()
        .orElseThrow();
    assertThat(challenge.get("AuthType")).isEqualToIgnoringCase("MD5");
    FakeAmi.Packet login = sent.stream().filter(p -> "Login".equalsIgnoreCase(p.action())).findFirst().orElseThrow();
    assertThat(login.get("Username")).isEqualTo(OutboundFixture.AMI_USER);
    assertThat(login.get("Events")).isEqualTo("call");
    assertThat(login.get("Secret")).isNull();
    assertThat(sent).allSatisfy(p -> assertThat(p.headers().toString()).doesNotContain(OutboundFixture.AMI_PASSWORD));
  }

  @Test
  void everyOriginateReasonBecomesTheCallsStateAndFailuresFreeTheSlot() throws Exception {
    int[][] cases = {{4, 0}, {5, 1}, {3, 2}, {8, 3}, {0, 4}, {1, 5}};
    String[][] expected = {
        {"answered", "answered"}, {"failed", "busy"}, {"failed", "no_answer"}, {"failed", "congestion"},
        {"failed", "failed"}, {"failed", "failed"}};
    for (int[] c : cases) {
      HttpResponse<String> r = call("{\"business_id\":" + f.tenant + ",\"lead_id\":1,\"to_number\":\"+12345678900\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      UUID id = UUID.fromString(f.read(r).path("call_id").asText());
      FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
      assertThat(f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id))).as("slot held while ringing").isTrue();
      f.ami.originateResponse(o, c[0]);
      String state = expected[c[1]][0];
      String outcome = expected[c[1]][1];
      OutboundFixture.await(() -> state.equals(f.dsl.select(CALL.STATE).from(CALL).where(CALL.ID.eq(id))
          .fetchOne(CALL.STATE)), "reason " + c[0] + " -> " + state);
      JsonNode shown = f.read(f.get("/api/calls/" + id, f.token));
      if (!outcome.equals("answered")) {
        OutboundFixture.await(() -> f.metrics.find("asterline.calls.ended").tags("direction", "outbound", "outcome",
            outcome).counter() != null, "asterline_calls_ended_total{outcome=" + outcome + "}");
      }
      assertThat(shown.path("state").asText()).as("reason " + c[0]).isEqualTo(state);
      assertThat(shown.path("outcome").asText()).as("reason " + c[0]).isEqualTo(outcome);
      assertThat(f.dsl.fetchValue(OUTBOUND_CALL.ORIGINATE_REASON, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo(c[0]);
      boolean answered = c[0] == 4;
      OutboundFixture.await(() -> f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id)) == answered,
          "slot " + (answered ? "kept" : "released") + " for reason " + c[0]);
      if (answered) {
        assertThat(shown.path("answered_at").isNull()).isFalse();
      } else {
        assertThat(shown.path("ended_at").isNull()).isFalse();
      }
    }
  }

  @Test
  void failedAndBusyCallsAreCountedAsEndedOnce() throws Exception {
    for (int reason : new int[] {5, 0}) {
      HttpResponse<String> r = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      FakeAmi.Packet o = f.ami.nextOriginate(5, TimeUnit.SECONDS);
      f.ami.originateResponse(o, reason);
      UUID id = UUID.fromString(f.read(r).path("call_id").asText());
      String outcome = OriginateResponse.outcomeOf(reason).dbValue();
      OutboundFixture.await(() -> f.metrics.find("asterline.calls.ended").tags("direction", "outbound", "outcome",
          outcome).counter() != null, outcome + " counted");
      // the dialplan's failed extension reports the same end again: still one
      f.outbound.service().originateEnded(new OriginateResponse(id, reason, null));
    }
    assertThat(f.metrics.get("asterline.calls.ended").tags("direction", "outbound", "outcome", "busy").counter()
        .count()).isEqualTo(1.0);
    assertThat(f.metrics.get("asterline.calls.ended").tags("direction", "outbound", "outcome", "failed").counter()
        .count()).isEqualTo(1.0);
  }

  @Test
  void aRefusedOriginateAnswers503AndGivesTheSlotAndTheDidUseBack() throws Exception {
    f.ami.answerOriginate(p -> Optional.of("Extension does not exist."));
    HttpResponse<String> r = call("{\"business_id\":" + f.tenant + ",\"lead_id\":1,\"to_number\":\"+12345678900\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(f.read(r).path("error").asText()).contains("Extension does not exist.");
    assertThat(f.usage(did)).isZero();
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isZero();
    var call = f.dsl.selectFrom(CALL).fetchOne();
    assertThat(call.getState()).isEqualTo("failed");
    assertThat(call.getOutcome()).isEqualTo("originate_rejected");
  }

  @Test
  void aTenantAtItsLimitGets409AndNothingIsTaken() throws Exception {
    f.dsl.execute("UPDATE tenant SET max_concurrent_calls = 1");
    HttpResponse<String> first = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\"}");
    assertThat(first.statusCode()).isEqualTo(202);
    HttpResponse<String> second = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678910\"}");
    assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
    assertThat(f.read(second).path("error").asText()).contains("limit of 1");
    assertThat(f.usage(did)).isEqualTo(1);
    assertThat(f.dsl.fetchCount(CALL)).isEqualTo(1);

    // the first call ends unanswered: its slot is free again
    f.ami.originateResponse(f.ami.nextOriginate(5, TimeUnit.SECONDS), 3);
    OutboundFixture.await(() -> f.dsl.fetchCount(ADMISSION_SLOT) == 0, "slot released");
    assertThat(call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678910\"}").statusCode()).isEqualTo(202);
  }

  /** A node shutting down drains its admission: inbound answers OVER_CAPACITY (agi), outbound a 503. */
  @Test
  void aDrainingNodePlacesNoNewCallsAndTakesNothing() throws Exception {
    f.admission.drain();
    HttpResponse<String> r = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(f.read(r).path("error").asText()).contains("shutting down");
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isZero();
    assertThat(f.dsl.fetchCount(CALL)).isZero();
    assertThat(f.usage(did)).isZero();
  }

  @Test
  void badRequestsAreRefusedNamingTheField() throws Exception {
    String[][] cases = {
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"12345\"}", "to_number"},
        // nine digits after +1: no North American number is that short
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+1234567890\"}", "to_number"},
        {"{\"business_id\":" + f.tenant + "}", "to_number"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"did_id\":\"nope\"}", "did_id"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"did_id\":\"" + UUID.randomUUID() + "\"}",
            "did_id"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"did_segment\":\"nowhere\"}", "did_segment"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"transfer_number\":\"0800\"}",
            "transfer_number"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"voicemail_action\":\"leave_message\"}",
            "voicemail_message"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"voicemail_action\":\"shout\"}",
            "voicemail_action"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"audio_file\":\"../../etc/passwd\"}",
            "audio_file"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"lead_id\":-4}", "lead_id"},
        {"{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\",\"caller\":\"x\"}", "caller"},
    };
    for (String[] c : cases) {
      HttpResponse<String> r = call(c[0]);
      assertThat(r.statusCode()).as(c[0] + " -> " + r.body()).isEqualTo(400);
      assertThat(f.read(r).path("field").asText()).as(c[0]).isEqualTo(c[1]);
    }
    f.dsl.execute("UPDATE did SET status = 'inactive'");
    HttpResponse<String> inactive = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\","
        + "\"did_segment\":\"default\"}");
    assertThat(inactive.statusCode()).isEqualTo(400);
    assertThat(f.read(inactive).path("error").asText()).contains("no active or available DID");
    assertThat(f.dsl.fetchCount(CALL)).as("no call stored for a refused request").isZero();
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).as("no slot kept for a refused request").isZero();
    assertThat(f.usage(did)).isZero();
    assertThat(f.ami.originatesWaiting()).isZero();
  }

  @Test
  void anotherTenantsDidOrAnUnknownSegmentIsA400WhateverAmisState() throws Exception {
    String otherToken = io.asterline.http.Auth.newToken();
    long other = f.dsl.insertInto(io.asterline.db.generated.Tables.TENANT)
        .set(io.asterline.db.generated.Tables.TENANT.NAME, "globex")
        .set(io.asterline.db.generated.Tables.TENANT.API_TOKEN_HASH, io.asterline.http.Auth.hash(otherToken))
        .returning(io.asterline.db.generated.Tables.TENANT.ID).fetchOne(io.asterline.db.generated.Tables.TENANT.ID);
    f.ami.stop();
    OutboundFixture.await(() -> f.amiState().equals("DOWN"), "AMI down");
    HttpResponse<String> foreign = f.post("/api/outbound/call", otherToken, "{\"business_id\":" + other
        + ",\"to_number\":\"+12345678900\",\"did_id\":\"" + did + "\"}");
    assertThat(foreign.statusCode()).as(foreign.body()).isEqualTo(400);
    assertThat(f.read(foreign).path("field").asText()).isEqualTo("did_id");
    HttpResponse<String> segment = call("{\"business_id\":" + f.tenant
        + ",\"to_number\":\"+12345678900\",\"did_segment\":\"nowhere\"}");
    assertThat(segment.statusCode()).as(segment.body()).isEqualTo(400);
    assertThat(f.read(segment).path("field").asText()).isEqualTo("did_segment");
    assertThat(f.read(segment).path("error").asText()).contains("nowhere", "default");
    HttpResponse<String> fine = call("{\"business_id\":" + f.tenant + ",\"to_number\":\"+12345678900\"}");
    assertThat(fine.statusCode()).as("a valid request still hears that AMI is down").isEqualTo(503);
  }

  @Test
  void aDisabledTenantsTokenHearsThatItsTenantIsDisabled() throws Exception {
    f.dsl.execute("UPDATE tenant SET status = 'disabled' WHERE id = " + f.tenant);
    HttpResponse<String> r = f.get("/api/calls", f.token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    assertThat(f.read(r).path("error").asText()).contains("tenant " + f.tenant + " is disabled");
    assertThat(r.body()).doesNotContain(f.token);
    assertThat(f.get("/api/calls", "atl_wrong").statusCode()).isEqualTo(401);
  }

  @Test
  void aJsonNullBodyIsA400() throws Exception {
    HttpResponse<String> r = call("null");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(f.read(r).path("field").asText()).isEqualTo("body");
  }

  @Test
  void aTenantTokenActsOnlyForItsOwnBusiness() throws Exception {
    HttpResponse<String> other = call("{\"business_id\":" + (f.tenant + 1) + ",\"to_number\":\"+12345678900\"}");
    assertThat(other.statusCode()).isEqualTo(404);
    HttpResponse<String> noToken = f.post("/api/outbound/call", null, "{\"to_number\":\"+12345678900\"}");
    assertThat(noToken.statusCode()).isEqualTo(401);
    HttpResponse<String> adminWithout = f.post("/api/outbound/call", OutboundFixture.ADMIN,
        "{\"to_number\":\"+12345678900\"}");
    assertThat(adminWithout.statusCode()).isEqualTo(400);
    assertThat(f.read(adminWithout).path("field").asText()).isEqualTo("business_id");
    HttpResponse<String> admin = f.post("/api/outbound/call", OutboundFixture.ADMIN,
        "{\"business_id\":" + f.tenant + ",\"to_number\":\"(123) 456-7890\"}");
    assertThat(admin.statusCode()).as(admin.body()).isEqualTo(400);
    HttpResponse<String> tokenOnly = f.post("/api/outbound/call", f.token, "{\"to_number\":\"+1 234 567 8900\"}");
    assertThat(tokenOnly.statusCode()).as(tokenOnly.body()).isEqualTo(202);
    assertThat(f.read(tokenOnly).path("to_number").asText()).isEqualTo("+12345678900");
  }
}
