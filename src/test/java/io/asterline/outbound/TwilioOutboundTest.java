package io.asterline.outbound;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.call.CallRepository;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.twilio.TwilioConfig.Provider;
import io.asterline.twilio.TwilioForm;
import io.asterline.twilio.TwilioSignature;
import io.asterline.twilio.TwilioStandIn;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outbound calls through either provider, against the Twilio stand-in (REST with Basic auth and form bodies, signed
 * status callbacks in Twilio's order) and the fake Asterisk: the tenant's share, the Calls.json request, Twilio's
 * states on the call row, failover both ways, and AMD.
 */
class TwilioOutboundTest {

  TwilioStandIn twilio;
  OutboundFixture f;
  UUID sipDid;
  UUID twilioDid;

  @BeforeEach
  void setUp() throws Exception {
    twilio = new TwilioStandIn();
    f = OutboundFixture.withTwilio(twilio, Map.of(), 50);
    // the SIP number is the least used: rotation would take it first, were Twilio calls not kept to Twilio's
    sipDid = f.did("+15550001111", "default", "DIDWW");
    twilioDid = f.twilioDid("+15550002222", "default", "TWILIO");
    f.dsl.execute("UPDATE did SET usage_count = 5 WHERE id = ?", twilioDid);
    f.awaitAmiUp();
  }

  @AfterEach
  void tearDown() {
    f.close();
    twilio.close();
  }

  private void share(Integer asteriskShare, boolean failover) {
    f.dsl.update(TENANT).set(TENANT.ASTERISK_SHARE, asteriskShare == null ? null : asteriskShare.shortValue())
        .set(TENANT.PROVIDER_FAILOVER, failover).where(TENANT.ID.eq(f.tenant)).execute();
  }

  private HttpResponse<String> call(long lead, String to) throws Exception {
    return f.post("/api/outbound/call", f.token, "{\"business_id\":" + f.tenant + ",\"lead_id\":" + lead
        + ",\"to_number\":\"" + to + "\"}");
  }

  private CallRecord row(UUID id) {
    return f.dsl.selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
  }

  private TwilioStandIn.Call twilioCallTo(String to) {
    OutboundFixture.await(() -> twilio.calls().stream().anyMatch(c -> c.to.equals(to)), "Twilio call to " + to);
    return twilio.calls().stream().filter(c -> c.to.equals(to)).findFirst().orElseThrow();
  }

  private boolean slotHeld(UUID id) {
    return f.dsl.fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id));
  }

  private static UUID id(HttpResponse<String> r) throws Exception {
    return UUID.fromString(new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("call_id")
        .asText());
  }

  @Test
  void aTenPercentShareSendsAboutOneHundredOfAThousandLeadsToAsteriskAndEachLeadAlwaysTheSameWay() {
    int asterisk = 0;
    for (long lead = 1; lead <= 1000; lead++) {
      Provider p = ProviderChoice.choose(7, 10, Provider.TWILIO, lead, "+15550000000");
      if (p == Provider.ASTERISK) {
        asterisk++;
      }
      for (int again = 0; again < 3; again++) {
        assertThat(ProviderChoice.choose(7, 10, Provider.TWILIO, lead, "+15550000000")).isEqualTo(p);
      }
      // raising the share only moves leads to Asterisk
      if (p == Provider.ASTERISK) {
        assertThat(ProviderChoice.choose(7, 50, Provider.TWILIO, lead, "+15550000000")).isEqualTo(Provider.ASTERISK);
      }
    }
    assertThat(asterisk).isBetween(85, 115);
    // without a lead id the number called is the lead
    assertThat(ProviderChoice.choose(7, 10, Provider.ASTERISK, null, "+15551234567"))
        .isEqualTo(ProviderChoice.choose(7, 10, Provider.TWILIO, null, "+15551234567"));
    // no share of its own: the configured provider
    assertThat(ProviderChoice.choose(7, null, Provider.ASTERISK, 1L, "+1")).isEqualTo(Provider.ASTERISK);
    assertThat(ProviderChoice.choose(7, null, Provider.TWILIO, 1L, "+1")).isEqualTo(Provider.TWILIO);
  }

  @Test
  void theShareDecidesEachCallsProviderPerLeadAndARetryGoesTheSameWay() throws Exception {
    share(50, false);
    for (long lead = 1; lead <= 12; lead++) {
      Provider expected = ProviderChoice.choose(f.tenant, 50, Provider.ASTERISK, lead, "+1555900" + (1000 + lead));
      for (int attempt = 0; attempt < 2; attempt++) {
        HttpResponse<String> r = call(lead, "+1555900" + (1000 + lead));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(f.read(r).path("provider").asText()).isEqualTo(expected.dbValue());
        assertThat(row(id(r)).getProvider()).isEqualTo(expected.dbValue());
        assertThat(f.read(r).path("caller_id").asText())
            .isEqualTo(expected == Provider.TWILIO ? "+15550002222" : "+15550001111");
      }
    }
  }

  @Test
  void aCallThroughTwilioAsksForEveryStateAndItsCallbacksMoveTheRowToAnsweredThenEnded() throws Exception {
    share(0, false);
    HttpResponse<String> r = call(42, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    UUID id = id(r);
    assertThat(f.read(r).path("caller_id").asText()).as("a Twilio number, not the least-used SIP one")
        .isEqualTo("+15550002222");

    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    assertThat(twilio.requests).allSatisfy(q -> assertThat(q.authorized()).isTrue());
    TwilioForm form = c.created;
    String base = "http://127.0.0.1:" + f.http.port();
    assertThat(form.first("From")).contains("+15550002222");
    assertThat(form.first("Twiml").orElseThrow())
        .contains("<Connect action=\"" + base + "/twilio/agent-done?callId=" + id + "\">")
        .contains("<Stream url=\"ws://127.0.0.1:" + f.http.port() + "/twilio/stream\">")
        .contains("<Parameter name=\"callId\" value=\"" + id + "\"/>");
    assertThat(form.first("StatusCallback")).contains(base + "/twilio/status?callId=" + id);
    assertThat(form.asMap().get("StatusCallbackEvent")).containsExactly("initiated", "ringing", "answered",
        "completed");
    assertThat(form.first("StatusCallbackMethod")).contains("POST");
    assertThat(form.first("Timeout")).contains("30");
    // the tenant detects voicemail (outbound, the default): Twilio's asynchronous AMD
    assertThat(form.first("MachineDetection")).contains("DetectMessageEnd");
    assertThat(form.first("AsyncAmd")).contains("true");
    assertThat(form.first("AsyncAmdStatusCallback")).contains(base + "/twilio/amd?callId=" + id);

    OutboundFixture.await(() -> c.sid.equals(row(id).getProviderCallSid()), "CallSid stored");
    CallRecord placed = row(id);
    assertThat(placed.getProvider()).isEqualTo("twilio");
    assertThat(placed.getAsteriskUniqueid()).isNull();
    assertThat(f.usage(twilioDid)).isEqualTo(6);
    assertThat(f.usage(sipDid)).isZero();
    assertThat(f.ami.originatesWaiting()).isZero();

    assertThat(twilio.progress(c, Map.of(), "initiated")).allSatisfy(a -> assertThat(a.status()).isEqualTo(204));
    assertThat(row(id).getState()).isEqualTo("created");
    twilio.progress(c, Map.of(), "ringing");
    assertThat(row(id).getState()).isEqualTo("ringing");
    twilio.progress(c, Map.of(), "in-progress");
    CallRecord answered = row(id);
    assertThat(answered.getState()).isEqualTo("answered");
    assertThat(answered.getOutcome()).isEqualTo("answered");
    assertThat(answered.getAnsweredAt()).isNotNull();
    assertThat(slotHeld(id)).isTrue();
    // the agent's stream connects, as the Media Streams transport reports it
    new CallRepository(f.dsl).recordAgentConnected(id, OffsetDateTime.now());

    twilio.progress(c, Map.of("CallDuration", "7"), "completed");
    CallRecord ended = row(id);
    assertThat(ended.getState()).isEqualTo("ended");
    assertThat(ended.getOutcome()).isEqualTo("ANSWER");
    assertThat(Duration.between(ended.getAnsweredAt(), ended.getEndedAt())).isEqualTo(Duration.ofSeconds(7));
    assertThat(slotHeld(id)).isFalse();
    assertThat(f.endedEvents).containsExactly(id);
    assertThat(f.metrics.get("asterline.calls.ended").tags("direction", "outbound", "outcome", "ANSWER").counter()
        .count()).isEqualTo(1.0);
    JsonNode shown = f.read(f.get("/api/calls/" + id, f.token));
    assertThat(shown.path("state").asText()).isEqualTo("ended");
  }

  @Test
  void busyNoAnswerFailedAndCanceledMapLikeAmisAndGiveTheSlotBack() throws Exception {
    share(0, false);
    String[][] cases = {{"busy", "busy", null}, {"no-answer", "no_answer", null}, {"failed", "failed", "503"},
        {"canceled", "CANCEL", null}};
    int n = 0;
    for (String[] c : cases) {
      String to = "+1234567890" + n++;
      UUID id = id(call(n, to));
      TwilioStandIn.Call tc = twilioCallTo(to);
      OutboundFixture.await(() -> row(id).getProviderCallSid() != null, "sid");
      Map<String, String> extra = c[2] == null ? Map.of() : Map.of("SipResponseCode", c[2]);
      twilio.progress(tc, extra, "initiated", "ringing", c[0]);
      CallRecord r = row(id);
      assertThat(r.getState()).as(c[0]).isEqualTo("failed");
      assertThat(r.getOutcome()).as(c[0]).isEqualTo(c[1]);
      assertThat(r.getEndedAt()).isNotNull();
      assertThat(r.getAnsweredAt()).isNull();
      assertThat(r.getHangupCause()).isEqualTo(c[2] == null ? null : "SIP " + c[2]);
      assertThat(slotHeld(id)).isFalse();
      // Twilio sends the same callback again: nothing moves, it is counted once
      twilio.progress(tc, extra, c[0]);
      assertThat(row(id).getEndedAt()).isEqualTo(r.getEndedAt());
    }
    assertThat(f.metrics.get("asterline.calls.ended").tags("direction", "outbound", "outcome", "busy").counter()
        .count()).isEqualTo(1.0);
    assertThat(f.metrics.get("asterline.calls.ended").tags("direction", "outbound", "outcome", "no_answer").counter()
        .count()).isEqualTo(1.0);
  }

  @Test
  void anUnsignedOrForgedStatusCallbackIsRefusedAndStoresNothing() throws Exception {
    share(0, false);
    UUID id = id(call(1, "+12345678900"));
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    OutboundFixture.await(() -> row(id).getProviderCallSid() != null, "sid");
    URI url = URI.create(c.created.first("StatusCallback").orElseThrow());
    TwilioForm form = twilio.callParams(c).add("CallStatus", "in-progress");
    assertThat(twilio.post(url, form, null).status()).isEqualTo(403);
    assertThat(twilio.post(url, form, TwilioSignature.sign("not-the-auth-token", url.toString(), form.asMap()))
        .status()).isEqualTo(403);
    // signed for another call's URL
    URI other = URI.create(url.toString().replace(id.toString(), UUID.randomUUID().toString()));
    assertThat(twilio.post(url, form, TwilioSignature.sign(TwilioStandIn.AUTH_TOKEN, other.toString(),
        form.asMap())).status()).isEqualTo(403);
    CallRecord r = row(id);
    assertThat(r.getState()).isEqualTo("created");
    assertThat(r.getAnsweredAt()).isNull();
    // the AMD callback is gated the same way
    URI amd = URI.create(c.created.first("AsyncAmdStatusCallback").orElseThrow());
    assertThat(twilio.post(amd, twilio.callParams(c).add("AnsweredBy", "machine_end_beep"), null).status())
        .isEqualTo(403);
    assertThat(row(id).getVoicemailResult()).isNull();
  }

  @Test
  void outOfOrderAndDuplicateCallbacksNeverMoveACallBackwards() throws Exception {
    share(0, false);
    UUID id = id(call(1, "+12345678900"));
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    // the first callback may come before the create's answer is handled: the CallSid is taken from it
    twilio.progress(c, Map.of(), "ringing", "ringing");
    assertThat(row(id).getState()).isEqualTo("ringing");
    assertThat(row(id).getProviderCallSid()).isEqualTo(c.sid);
    // completed overtakes in-progress: the call is answered and ended, dated back by its duration
    twilio.progress(c, Map.of("CallDuration", "5"), "completed");
    CallRecord ended = row(id);
    assertThat(ended.getState()).isEqualTo("ended");
    assertThat(Duration.between(ended.getAnsweredAt(), ended.getEndedAt()).toSeconds()).isEqualTo(5);
    assertThat(ended.getOutcome()).as("the agent's stream never connected").isEqualTo("ABANDONED");
    assertThat(slotHeld(id)).isFalse();
    // the late ones change nothing
    twilio.progress(c, Map.of("CallDuration", "5"), "initiated", "ringing", "in-progress", "completed", "busy");
    CallRecord after = row(id);
    assertThat(after.getState()).isEqualTo("ended");
    assertThat(after.getAnsweredAt()).isEqualTo(ended.getAnsweredAt());
    assertThat(after.getEndedAt()).isEqualTo(ended.getEndedAt());
    assertThat(after.getOutcome()).isEqualTo("ABANDONED");
    assertThat(f.endedEvents).containsExactly(id);
    // a callback naming another CallSid for this call is not taken
    TwilioStandIn.Call stranger = twilio.inboundCall("+19998887777", "+15550002222");
    URI url = URI.create(c.created.first("StatusCallback").orElseThrow());
    assertThat(twilio.webhook(url, twilio.callParams(stranger).add("CallStatus", "in-progress")).status())
        .isEqualTo(204);
    assertThat(row(id).getProviderCallSid()).isEqualTo(c.sid);
  }

  @Test
  void twilioDownFailsOverToAsteriskWhenTheTenantAllowsIt() throws Exception {
    share(0, true);
    twilio.down(true);
    HttpResponse<String> r = call(1, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    UUID id = id(r);
    FakeAmi.Packet o = f.ami.nextOriginate(10, TimeUnit.SECONDS);
    assertThat(o).as("the call went to Asterisk").isNotNull();
    assertThat(o.get("ChannelId")).isEqualTo(id.toString());
    assertThat(o.get("CallerID")).isEqualTo("+15550001111");
    CallRecord row = row(id);
    assertThat(row.getProvider()).isEqualTo("asterisk");
    assertThat(row.getAsteriskUniqueid()).isEqualTo(id.toString());
    assertThat(row.getDidId()).isEqualTo(sipDid);
    assertThat(f.dsl.fetchValue(OUTBOUND_CALL.CALLER_ID, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo("+15550001111");
    assertThat(f.usage(twilioDid)).as("the Twilio number's use given back").isEqualTo(5);
    f.ami.originateResponse(o, 4);
    OutboundFixture.await(() -> row(id).getState().equals("answered"), "answered through Asterisk");
  }

  @Test
  void twilioDownWithoutFailoverFailsTheCallAsTwilioUnavailableAndKeepsIt() throws Exception {
    share(0, false);
    twilio.down(true);
    HttpResponse<String> r = call(1, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(f.read(r).path("error").asText()).contains("Twilio unreachable");
    CallRecord row = f.dsl.selectFrom(CALL).fetchOne();
    assertThat(row.getProvider()).isEqualTo("twilio");
    assertThat(row.getState()).isEqualTo("failed");
    assertThat(row.getOutcome()).isEqualTo("twilio_unavailable");
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isZero();
    assertThat(f.usage(twilioDid)).isEqualTo(5);
    assertThat(f.ami.originatesWaiting()).isZero();
  }

  @Test
  void aTwilioRefusalOfTheCallIsNotRetriedThroughAsterisk() throws Exception {
    share(0, true);
    twilio.failNext(1, 400, 21211, "Invalid 'To' Phone Number: +12345678900");
    HttpResponse<String> r = call(1, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(f.read(r).path("error").asText()).contains("21211");
    CallRecord row = f.dsl.selectFrom(CALL).fetchOne();
    assertThat(row.getState()).isEqualTo("failed");
    assertThat(row.getOutcome()).isEqualTo("twilio_refused");
    assertThat(row.getHangupCause()).isEqualTo("twilio 21211");
    assertThat(f.dsl.fetchCount(ADMISSION_SLOT)).isZero();
    assertThat(f.ami.nextOriginate(300, TimeUnit.MILLISECONDS)).isNull();
  }

  @Test
  void asteriskRefusingFailsOverToTwilio() throws Exception {
    share(100, true);
    f.ami.answerOriginate(p -> Optional.of("Extension does not exist."));
    HttpResponse<String> r = call(1, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    UUID id = id(r);
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    assertThat(c.created.first("From")).contains("+15550002222");
    OutboundFixture.await(() -> c.sid.equals(row(id).getProviderCallSid()), "CallSid stored");
    CallRecord row = row(id);
    assertThat(row.getProvider()).isEqualTo("twilio");
    assertThat(row.getState()).isEqualTo("created");
    assertThat(row.getAsteriskUniqueid()).isNull();
    assertThat(f.usage(sipDid)).as("the SIP number's use given back").isZero();
    assertThat(f.read(r).path("provider").asText()).isEqualTo("twilio");
  }

  @Test
  void amiDownAtTheRequestGoesThroughTwilioWithFailoverElse503() throws Exception {
    share(100, false);
    f.ami.stop();
    OutboundFixture.await(() -> !f.amiState().equals("UP"), "AMI down");
    HttpResponse<String> refused = call(1, "+12345678900");
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
    assertThat(f.dsl.fetchCount(CALL)).isZero();

    share(100, true);
    HttpResponse<String> r = call(1, "+12345678900");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(row(id(r)).getProvider()).isEqualTo("twilio");
    twilioCallTo("+12345678900");
  }

  @Test
  void aMachineAnsweringIsHungUpThroughTwilioLikeTheAsteriskPath() throws Exception {
    share(0, false);
    UUID id = id(call(1, "+12345678900"));
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    OutboundFixture.await(() -> row(id).getProviderCallSid() != null, "sid");
    twilio.progress(c, Map.of(), "initiated", "ringing", "in-progress");
    URI amd = URI.create(c.created.first("AsyncAmdStatusCallback").orElseThrow());
    assertThat(twilio.webhook(amd, twilio.callParams(c).add("AnsweredBy", "machine_end_beep")
        .add("MachineDetectionDuration", "4200")).status()).isEqualTo(204);
    OutboundFixture.await(() -> !c.updates.isEmpty(), "the call updated");
    assertThat(c.lastTwiml().orElseThrow()).contains("<Hangup/>").doesNotContain("<Say>");
    CallRecord r = row(id);
    assertThat(r.getVoicemailResult()).isEqualTo("machine");
    assertThat(r.getOutcome()).isEqualTo("machine_hangup");
    assertThat(f.dsl.fetchValue(OUTBOUND_CALL.AMD_STATUS, OUTBOUND_CALL.CALL_ID.eq(id))).isEqualTo("MACHINE");
    // Twilio ends it: the outcome AMD decided stays
    twilio.progress(c, Map.of("CallDuration", "5"), "completed");
    assertThat(row(id).getState()).isEqualTo("ended");
    assertThat(row(id).getOutcome()).isEqualTo("machine_hangup");
  }

  @Test
  void aMachineGetsTheMessageWhenTheCallLeavesOneAndAPersonGoesOnWithTheAgent() throws Exception {
    share(0, false);
    HttpResponse<String> r = f.post("/api/outbound/call", f.token, "{\"business_id\":" + f.tenant
        + ",\"to_number\":\"+12345678900\",\"voicemail_action\":\"leave_message\","
        + "\"voicemail_message\":\"Hi, this is Acme & co.\"}");
    UUID id = id(r);
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    OutboundFixture.await(() -> row(id).getProviderCallSid() != null, "sid");
    twilio.progress(c, Map.of(), "in-progress");
    URI amd = URI.create(c.created.first("AsyncAmdStatusCallback").orElseThrow());
    twilio.webhook(amd, twilio.callParams(c).add("AnsweredBy", "machine_end_silence"));
    OutboundFixture.await(() -> !c.updates.isEmpty(), "the call updated");
    assertThat(c.lastTwiml().orElseThrow()).contains("<Say>Hi, this is Acme &amp; co.</Say><Hangup/>");
    assertThat(row(id).getOutcome()).isEqualTo("voicemail");

    UUID person = id(call(2, "+12345678901"));
    TwilioStandIn.Call p = twilioCallTo("+12345678901");
    OutboundFixture.await(() -> row(person).getProviderCallSid() != null, "sid");
    twilio.progress(p, Map.of(), "in-progress");
    twilio.webhook(URI.create(p.created.first("AsyncAmdStatusCallback").orElseThrow()),
        twilio.callParams(p).add("AnsweredBy", "human"));
    assertThat(row(person).getVoicemailResult()).isEqualTo("human");
    assertThat(row(person).getOutcome()).isEqualTo("answered");
    Thread.sleep(200);
    assertThat(p.updates).as("a person stays with the agent").isEmpty();
  }

  @Test
  void aTenantWithoutVoicemailDetectionGetsNoAmd() throws Exception {
    share(0, false);
    f.dsl.update(TENANT).set(TENANT.VOICEMAIL_DETECTION, "off").where(TENANT.ID.eq(f.tenant)).execute();
    call(1, "+12345678900");
    TwilioStandIn.Call c = twilioCallTo("+12345678900");
    assertThat(c.created.first("MachineDetection")).isEmpty();
    assertThat(c.created.first("AsyncAmdStatusCallback")).isEmpty();
  }

  @Test
  void aJourneysMakeCallHonoursTheShare() throws Exception {
    HttpResponse<String> created = f.post("/api/journeys", f.token, "{\"business_id\":" + f.tenant
        + ",\"name\":\"Welcome\",\"nodes\":[{\"type\":\"MAKE_CALL\",\"config\":{}}]}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    long journey = f.read(created).path("id").asLong();

    share(0, false);
    JsonNode run = f.read(f.post("/api/journeys/" + journey + "/run", f.token,
        "{\"lead_id\":7,\"to_number\":\"+15559876543\"}"));
    JsonNode node = run.path("nodes").get(0);
    assertThat(node.path("result").asText()).as(run.toString()).isEqualTo("placed");
    assertThat(node.path("provider").asText()).isEqualTo("twilio");
    twilioCallTo("+15559876543");
    assertThat(row(UUID.fromString(node.path("call_id").asText())).getProvider()).isEqualTo("twilio");

    share(100, false);
    JsonNode second = f.read(f.post("/api/journeys/" + journey + "/run", f.token,
        "{\"lead_id\":8,\"to_number\":\"+15559876544\"}")).path("nodes").get(0);
    assertThat(second.path("provider").asText()).isEqualTo("asterisk");
    assertThat(f.ami.nextOriginate(5, TimeUnit.SECONDS).get("ChannelId")).isEqualTo(second.path("call_id").asText());
    assertThat(twilio.calls()).hasSize(1);
  }

  @Test
  void aShareSendingCallsToAnUnconfiguredTwilioPlacesThemThroughAsterisk() throws Exception {
    try (OutboundFixture plain = OutboundFixture.start()) {
      plain.did("+15550001111", "default", "DIDWW");
      plain.awaitAmiUp();
      plain.dsl.update(TENANT).set(TENANT.ASTERISK_SHARE, (short) 0).execute();
      for (int lead = 1; lead <= 2; lead++) {
        HttpResponse<String> r = plain.post("/api/outbound/call", plain.token, "{\"business_id\":" + plain.tenant
            + ",\"lead_id\":" + lead + ",\"to_number\":\"+12345678900\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        assertThat(plain.read(r).path("provider").asText()).isEqualTo("asterisk");
        assertThat(plain.ami.nextOriginate(5, TimeUnit.SECONDS)).isNotNull();
      }
      List<String> providers = plain.dsl.select(CALL.PROVIDER).from(CALL).fetch(CALL.PROVIDER);
      assertThat(providers).containsOnly("asterisk");
    }
  }
}
