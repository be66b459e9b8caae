package io.asterline.twilio;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static io.asterline.twilio.TwilioInboundFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Inbound Twilio calls end to end over the real HTTP server, a real PostgreSQL and the Twilio stand-in: the voice
 * webhook's admission and TwiML per route, the call control after the agent (driven as the Media Streams transport
 * drives it), and the Dial and Record actions ending the call as call-end ends an Asterisk call.
 */
class TwilioInboundTest {

  private static final String DID = "+14155550100";
  private static final String CALLER = "+14155550199";
  private static final String TRANSFER = "+14155550111";
  private static final String TENANT_NUMBER = "+14155550122";

  private final TwilioInboundFixture f;

  TwilioInboundTest() throws Exception {
    f = new TwilioInboundFixture();
  }

  @AfterEach
  void close() {
    f.close();
  }

  // ------------------------------------------------------------------ the voice webhook

  @Test
  void aCallToAKnownNumberIsAdmittedAndStreamedToTheAgent() {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);

    TwilioStandIn.Answer answer = f.arrive(call);

    CallRecord row = f.callBySid(call.sid);
    assertThat(row).isNotNull();
    UUID id = row.getId();
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.contentType()).startsWith("text/xml");
    assertThat(answer.body()).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
        + "<Connect action=\"" + f.base + "/twilio/agent-done?callId=" + id + "\">"
        + "<Stream url=\"ws://127.0.0.1:" + f.base.getPort() + "/twilio/stream\">"
        + "<Parameter name=\"callId\" value=\"" + id + "\"/></Stream></Connect></Response>");
    assertThat(f.runner.streamLive(call)).isTrue();
    assertThat(row.getProvider()).isEqualTo("twilio");
    assertThat(row.getDirection()).isEqualTo("inbound");
    assertThat(row.getRemoteNumber()).isEqualTo(CALLER);
    assertThat(row.getState()).isEqualTo("created");
    assertThat(row.getTenantId()).isEqualTo(tenant);
    assertThat(f.inUse(tenant)).isEqualTo(1);
    assertThat(f.slots()).isEqualTo(1);

    // Twilio sends the same webhook again: the same call, no second slot
    TwilioStandIn.Answer again = f.twilio.voiceWebhook(call, f.url("/twilio/voice"));
    assertThat(again.body()).isEqualTo(answer.body());
    assertThat(f.calls()).isEqualTo(1);
    assertThat(f.inUse(tenant)).isEqualTo(1);
  }

  @Test
  void aTenantWithAConsentAnnouncementHasItsCallersHearANoticeBeforeTheAgent() {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.dsl().update(TENANT).set(TENANT.CONSENT_SOUND, "custom/consent").where(TENANT.ID.eq(tenant)).execute();
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);

    TwilioStandIn.Answer answer = f.arrive(call);

    assertThat(answer.body()).contains("<Response><Say>" + TwilioAnswers.CONSENT_NOTICE + "</Say><Connect ");
    assertThat(f.runner.ran(call)).containsExactly("Say", "Connect");
  }

  @Test
  void anUnknownNumberIsRejectedAndLeavesNoRow() {
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, "+14155550177");

    TwilioStandIn.Answer answer = f.arrive(call);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).contains("<Response><Reject reason=\"rejected\"/></Response>");
    assertThat(f.runner.ran(call)).containsExactly("Reject");
    assertThat(f.calls()).isZero();
    assertThat(f.slots()).isZero();
  }

  @Test
  void aTenantRefusingInboundCallsRejectsThemWithoutARow() {
    long tenant = f.tenant("acme", 5, "reject", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);

    assertThat(f.arrive(call).body()).contains("<Reject reason=\"rejected\"/>");
    assertThat(f.calls()).isZero();
  }

  @Test
  void overCapacityTheCallerHearsTheFailureAnnouncementAndTheRefusalIsStoredAsForAsterisk() {
    long tenant = f.tenant("acme", 1, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call first = f.twilio.inboundCall(CALLER, DID);
    f.arrive(first);
    TwilioStandIn.Call second = f.twilio.inboundCall("+14155550198", DID);

    TwilioStandIn.Answer answer = f.arrive(second);

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.body()).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>"
        + TwilioAnswers.FAILURE_TEXT + "</Say><Hangup/></Response>");
    assertThat(f.runner.ran(second)).containsExactly("Say", "Hangup");
    CallRecord refused = f.callBySid(second.sid);
    assertThat(refused.getOutcome()).isEqualTo("tenant_full");
    assertThat(refused.getState()).isEqualTo("failed");
    assertThat(refused.getEndedAt()).isNotNull();
    assertThat(refused.getProvider()).isEqualTo("twilio");
    assertThat(f.inUse(tenant)).isEqualTo(1);
    // a replay of the refused call is refused again, with nothing new stored
    assertThat(f.twilio.voiceWebhook(second, f.url("/twilio/voice")).body()).isEqualTo(answer.body());
    assertThat(f.calls()).isEqualTo(2);
  }

  @Test
  void anUnsignedOrWronglySignedWebhookIsRefusedAndStoresNothing() {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    URI voice = f.url("/twilio/voice");
    TwilioForm form = f.twilio.callParams(call).add("CallStatus", "ringing");

    TwilioStandIn.Answer unsigned = f.twilio.post(voice, form, null);
    TwilioStandIn.Answer forged = f.twilio.post(voice, form,
        TwilioSignature.sign("another-accounts-token", voice.toString(), form.asMap()));
    TwilioStandIn.Answer otherUrl = f.twilio.post(voice, form,
        TwilioSignature.sign(TwilioStandIn.AUTH_TOKEN, f.base + "/twilio/elsewhere", form.asMap()));
    UUID someCall = UUID.randomUUID();
    TwilioStandIn.Answer dialDone = f.twilio.post(f.url("/twilio/dial-done?callId=" + someCall),
        f.twilio.callParams(call).add("DialCallStatus", "completed"), null);

    assertThat(List.of(unsigned.status(), forged.status(), otherUrl.status(), dialDone.status()))
        .containsOnly(403);
    assertThat(f.calls()).isZero();
    assertThat(f.slots()).isZero();
  }

  @Test
  void withTheDatabaseDownTheCallerHearsTheFailureAnnouncementNotAnApplicationError() throws Exception {
    try (TwilioInboundFixture down = new TwilioInboundFixture(TestDatabase.fresh(), Duration.ofSeconds(2))) {
      long tenant = down.tenant("acme", 5, "agent", null);
      down.did(tenant, DID);
      down.db.dataSource().close();
      TwilioStandIn.Call call = down.twilio.inboundCall(CALLER, DID);

      TwilioStandIn.Answer answer = down.twilio.voiceWebhook(call, down.url("/twilio/voice"));

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.body()).contains("<Say>" + TwilioAnswers.FAILURE_TEXT + "</Say><Hangup/>");
    }
  }

  // ------------------------------------------------------------------ after the agent

  /** The call's end, told to the listeners (they hear of it just after it is stored). */
  private void awaitEnd(UUID id) throws InterruptedException {
    await("the end of " + id, () -> f.ended.stream().anyMatch(e -> e.callId().equals(id)));
  }

  /** The runner runs a redirect's TwiML on the stand-in's thread: the verbs it ran, once it is through. */
  private void awaitRan(TwilioStandIn.Call call, String... verbs) throws InterruptedException {
    List<String> expected = List.of(verbs);
    try {
      await("the verbs " + expected, () -> f.runner.ran(call).equals(expected));
    } catch (AssertionError e) {
      assertThat(f.runner.ran(call)).containsExactlyElementsOf(expected);
    }
  }

  /** An agent call whose stream is live, as the transport would have it; the agent leg connected. */
  private CallRecord streaming(TwilioStandIn.Call call) {
    f.arrive(call);
    CallRecord row = f.callBySid(call.sid);
    f.dsl().update(CALL).set(CALL.AGENT_CONNECTED_AT, OffsetDateTime.now()).set(CALL.STATE, "connected")
        .where(CALL.ID.eq(row.getId())).execute();
    return row;
  }

  private void decided(UUID callId, String decision, String transferTo) {
    f.dsl().update(CALL).set(CALL.AGENT_DECISION, decision).set(CALL.TRANSFER_TO, transferTo)
        .where(CALL.ID.eq(callId)).execute();
  }

  /** The transport: Twilio's stop of the stream reports its end, with the recording it wrote. */
  private Path recordingOnStop(UUID callId) throws Exception {
    Path recording = f.recordings.resolve(callId + ".wav");
    Files.write(recording, new byte[] {1, 2, 3});
    f.runner.onStreamStop(c -> f.control.streamEnded(callId, c.sid, true, recording));
    return recording;
  }

  @Test
  void aTransferDecisionRedirectsTheCallToADialWhoseEndCarriesTheRecording() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", TENANT_NUMBER);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "transfer", TRANSFER);
    Path recording = recordingOnStop(id);
    f.runner.dialEnds("completed", 30);

    f.control.agentDone(id, call.sid).join();

    assertThat(call.lastTwiml()).get().asString().contains("<Dial timeout=\"45\" action=\"" + f.base
        + "/twilio/dial-done?callId=" + id + "&amp;agent=1\"><Number>" + TRANSFER + "</Number></Dial>");
    awaitEnd(id);
    awaitRan(call, "Connect", "stream stopped", "Dial " + TRANSFER, "Hangup");
    CallRecord row = f.call(id);
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
    assertThat(row.getRecordingFile()).isEqualTo(recording.toString());
    assertThat(f.inUse(tenant)).isZero();
    assertThat(f.ended).containsExactly(new TwilioInboundFixture.Ended(id, tenant, recording.toString()));
    assertThat(((TwilioCallControl) f.control).kept()).isZero();
  }

  @Test
  void whatACallGoesOnToIsForgottenWhenItsEndReachedAnotherNode() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", TENANT_NUMBER);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    TwilioCallControl control = (TwilioCallControl) f.control;

    assertThat(control.afterAgent(id).next()).isEqualTo(TwilioCallControl.Next.DIAL);
    control.streamEnded(id, call.sid, true, f.recordings.resolve(id + ".wav"));

    assertThat(control.kept()).isEqualTo(1);
    assertThat(control.forgetOlderThan(java.time.Instant.now().minusSeconds(60))).isZero();
    assertThat(control.forgetOlderThan(java.time.Instant.now().plusSeconds(1))).isEqualTo(1);
    assertThat(control.kept()).isZero();
  }

  @Test
  void aTransferNobodyAnswersEndsWithTheDialStatusAndTheFailureAnnouncement() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "transfer", TRANSFER);
    recordingOnStop(id);
    f.runner.dialEnds("no-answer", 0);

    f.control.agentDone(id, call.sid).join();

    awaitEnd(id);
    assertThat(f.call(id).getOutcome()).isEqualTo("NOANSWER");
    awaitRan(call, "Connect", "stream stopped", "Dial " + TRANSFER, "Say", "Hangup");
  }

  @Test
  void aHangupDecisionHangsUpAndTheStreamsEndEndsTheCallWithItsRecording() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", TENANT_NUMBER);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "hangup", null);
    Path recording = recordingOnStop(id);

    f.control.agentDone(id, call.sid).join();

    assertThat(call.lastTwiml()).contains("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>");
    awaitEnd(id);
    awaitRan(call, "Connect", "stream stopped", "Hangup");
    assertThat(f.call(id).getOutcome()).isEqualTo("ANSWER");
    assertThat(f.call(id).getRecordingFile()).isEqualTo(recording.toString());
    assertThat(f.inUse(tenant)).isZero();
  }

  @Test
  void withoutADecisionTheTenantsFallbackApplies() throws Exception {
    long withNumber = f.tenant("acme", 5, "agent", TENANT_NUMBER);
    f.did(withNumber, DID);
    long without = f.tenant("globex", 5, "agent", null);
    f.did(without, "+14155550101");
    TwilioStandIn.Call toAcme = f.twilio.inboundCall(CALLER, DID);
    TwilioStandIn.Call toGlobex = f.twilio.inboundCall(CALLER, "+14155550101");
    UUID acme = streaming(toAcme).getId();
    UUID globex = streaming(toGlobex).getId();

    f.control.agentDone(acme, toAcme.sid).join();
    f.control.agentDone(globex, toGlobex.sid).join();

    assertThat(toAcme.lastTwiml()).get().asString().contains("<Number>" + TENANT_NUMBER + "</Number>");
    assertThat(toGlobex.lastTwiml()).get().asString().endsWith("<Response><Hangup/></Response>");
  }

  @Test
  void whenTheUpdateFailsTheConnectActionAnswersTheSameTwiml() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "transfer", TRANSFER);
    f.twilio.failNext(1, 503, 20500, "Internal Server Error");

    assertThat(f.control.agentDone(id, call.sid)).failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(TwilioRest.Unavailable.class);
    assertThat(call.updates).isEmpty();
    f.control.streamEnded(id, call.sid, true, null);
    f.runner.dialEnds("busy", 0);
    f.runner.streamEndsWithoutRedirect(call);

    assertThat(f.runner.answers.get(0).body()).contains("<Dial timeout=\"45\" action=\"" + f.base
        + "/twilio/dial-done?callId=" + id + "&amp;agent=1\"><Number>" + TRANSFER + "</Number></Dial>");
    assertThat(f.runner.ran(call)).containsExactly("Connect", "stream ended", "Dial " + TRANSFER, "Say", "Hangup");
    assertThat(f.call(id).getOutcome()).isEqualTo("BUSY");
    assertThat(f.inUse(tenant)).isZero();
  }

  @Test
  void withTwilioUnreachableTheUpdateFailsAndTheConnectActionStillCarriesTheCallOn() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "hangup", null);
    f.twilio.down(true);

    assertThat(f.control.agentDone(id, call.sid)).failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class);
    f.twilio.down(false);
    f.runner.streamEndsWithoutRedirect(call);

    assertThat(f.runner.ran(call)).containsExactly("Connect", "stream ended", "Hangup");
    assertThat(f.call(id).getEndedAt()).isNotNull();
    assertThat(f.call(id).getOutcome()).isEqualTo("ANSWER");
  }

  @Test
  void aCallerWhoHangsUpDuringTheConversationEndsTheCallWithTheRecording() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    Path recording = f.recordings.resolve(id + ".wav");

    f.control.streamEnded(id, call.sid, false, recording);

    awaitEnd(id);
    CallRecord row = f.call(id);
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
    assertThat(row.getRecordingFile()).isEqualTo(recording.toString());
    assertThat(f.inUse(tenant)).isZero();
    assertThat(f.ended).containsExactly(new TwilioInboundFixture.Ended(id, tenant, recording.toString()));
    // a late report of the same end changes nothing
    f.control.streamEnded(id, call.sid, false, null);
    Thread.sleep(200);
    assertThat(f.call(id).getRecordingFile()).isEqualTo(recording.toString());
    assertThat(f.ended).hasSize(1);
  }

  @Test
  void aStreamThatBrokeBeforeTheAgentConnectedIsAgentUnavailable() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    f.arrive(call);
    UUID id = f.callBySid(call.sid).getId();

    f.control.streamEnded(id, call.sid, false, null);

    awaitEnd(id);
    assertThat(f.call(id).getOutcome()).isEqualTo("agent_unavailable");
  }

  // ------------------------------------------------------------------ forward and voicemail routes

  @Test
  void aForwardedCallEndsWithTheDialsStatusAndAnsweredTimeAndAReplayChangesNothing() throws Exception {
    long tenant = f.tenant("acme", 5, "forward", TRANSFER);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    f.runner.dialEnds("completed", 30);

    TwilioStandIn.Answer answer = f.twilio.voiceWebhook(call, f.url("/twilio/voice"));
    // the forward rang and was talked on for a while before its Dial ended
    f.dsl().update(CALL).set(CALL.CREATED_AT, OffsetDateTime.now().minusSeconds(60))
        .where(CALL.PROVIDER_CALL_SID.eq(call.sid)).execute();
    f.runner.run(call, answer.body());

    CallRecord row = f.callBySid(call.sid);
    assertThat(answer.body()).contains("<Dial timeout=\"45\" action=\"" + f.base + "/twilio/dial-done?callId="
        + row.getId() + "\"><Number>" + TRANSFER + "</Number></Dial>");
    assertThat(f.runner.ran(call)).containsExactly("Dial " + TRANSFER, "Hangup");
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
    assertThat(row.getEndedAt()).isNotNull();
    assertThat(Duration.between(row.getAnsweredAt(), row.getEndedAt()).toSeconds()).isBetween(29L, 30L);
    assertThat(f.inUse(tenant)).isZero();

    TwilioStandIn.Answer replay = f.twilio.webhook(f.url("/twilio/dial-done?callId=" + row.getId()),
        f.twilio.callParams(call).add("DialCallStatus", "busy"));
    assertThat(replay.status()).isEqualTo(200);
    assertThat(f.call(row.getId()).getOutcome()).isEqualTo("ANSWER");
    assertThat(f.call(row.getId()).getEndedAt()).isEqualTo(row.getEndedAt());
    assertThat(f.ended).hasSize(1);
  }

  @Test
  void everyDialCallStatusBecomesItsDialstatus() throws Exception {
    Map<String, String> expected = Map.of("busy", "BUSY", "no-answer", "NOANSWER", "failed", "CHANUNAVAIL",
        "canceled", "CANCEL", "answered", "ANSWER");
    long tenant = f.tenant("acme", 50, "forward", TRANSFER);
    f.did(tenant, DID);
    for (Map.Entry<String, String> e : expected.entrySet()) {
      TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
      f.runner.dialEnds(e.getKey(), 0);
      f.arrive(call);
      assertThat(f.callBySid(call.sid).getOutcome()).as(e.getKey()).isEqualTo(e.getValue());
    }
    assertThat(f.inUse(tenant)).isZero();
  }

  @Test
  void aVoicemailIsFetchedFromTwilioStoredAndHandedToTheRecordingJobs() throws Exception {
    long tenant = f.tenant("acme", 5, "voicemail", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    byte[] wav = "RIFF....WAVEfmt the caller's message".getBytes();
    f.runner.recordingIs(f.twilio.recording(wav), 12);

    TwilioStandIn.Answer answer = f.arrive(call);

    UUID id = f.callBySid(call.sid).getId();
    assertThat(answer.body()).contains("<Say>" + TwilioAnswers.VOICEMAIL_GREETING + "</Say><Record maxLength=\"180\""
        + " playBeep=\"true\" action=\"" + f.base + "/twilio/voicemail-done?callId=" + id + "\"/>");
    assertThat(f.runner.ran(call)).containsExactly("Say", "Record", "Say", "Hangup");
    awaitEnd(id);
    Path file = f.recordings.resolve(Long.toString(tenant)).resolve(id + "-voicemail.wav");
    assertThat(file).hasBinaryContent(wav);
    CallRecord row = f.call(id);
    assertThat(row.getVoicemailFile()).isEqualTo(file.toAbsolutePath().normalize().toString());
    assertThat(row.getVoicemailDurationMs()).isEqualTo(12_000);
    assertThat(row.getOutcome()).isEqualTo("voicemail");
    assertThat(f.voicemails).containsExactly(new TwilioInboundFixture.Voicemail(id, tenant, row.getVoicemailFile()));
    assertThat(f.twilio.requests).filteredOn(r -> r.path().endsWith(".wav")).allMatch(TwilioStandIn.Request::authorized);
    assertThat(f.inUse(tenant)).isZero();
  }

  @Test
  void aSilentVoicemailEndsTheCallWithTheFailureAnnouncement() throws Exception {
    long tenant = f.tenant("acme", 5, "voicemail", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    f.runner.recordingIs(null, 0);

    f.arrive(call);

    UUID id = f.callBySid(call.sid).getId();
    assertThat(f.runner.ran(call)).containsExactly("Say", "Record", "Redirect", "Say", "Hangup");
    CallRecord row = f.call(id);
    assertThat(row.getEndedAt()).isNotNull();
    assertThat(row.getOutcome()).isEqualTo("ABANDONED");
    assertThat(row.getVoicemailFile()).isNull();
    assertThat(f.inUse(tenant)).isZero();
  }

  @Test
  void aVoicemailDecisionOfTheAgentRecordsAMessageAfterTheConversation() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    UUID id = streaming(call).getId();
    decided(id, "voicemail", null);
    Path recording = recordingOnStop(id);
    f.runner.recordingIs(f.twilio.recording(new byte[] {9, 9}), 3);

    f.control.agentDone(id, call.sid).join();

    awaitEnd(id);
    awaitRan(call, "Connect", "stream stopped", "Say", "Record", "Say", "Hangup");
    CallRecord row = f.call(id);
    assertThat(row.getVoicemailFile()).endsWith(id + "-voicemail.wav");
    assertThat(row.getRecordingFile()).isEqualTo(recording.toString());
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
  }

  @Test
  void aCallIdThatIsNotAUuidIsABadRequest() {
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    TwilioStandIn.Answer answer = f.twilio.webhook(f.url("/twilio/dial-done?callId=nope"),
        f.twilio.callParams(call).add("DialCallStatus", "completed"));
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.body()).contains("callId");
  }

  // ------------------------------------------------------------------ the number's status callback

  @Test
  void aCallerWhoLeavesBeforeTheStreamEndsTheCallThroughTheStatusCallback() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.dsl().update(TENANT).set(TENANT.CONSENT_SOUND, "custom/consent").where(TENANT.ID.eq(tenant)).execute();
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    f.twilio.voiceWebhook(call, f.url("/twilio/voice"));
    UUID id = f.callBySid(call.sid).getId();

    TwilioStandIn.Answer answer = f.statusCallback(call, "completed");

    assertThat(answer.status()).isEqualTo(204);
    awaitEnd(id);
    assertThat(f.call(id).getOutcome()).isEqualTo("ABANDONED");
    assertThat(f.inUse(tenant)).isZero();
    assertThat(f.ended).containsExactly(new TwilioInboundFixture.Ended(id, tenant, null));
  }

  @Test
  void aStatusCallbackBeforeTheDialsActionLeavesTheDialsOutcome() throws Exception {
    long tenant = f.tenant("acme", 5, "forward", TRANSFER);
    f.did(tenant, DID);
    TwilioStandIn.Call call = f.twilio.inboundCall(CALLER, DID);
    f.twilio.voiceWebhook(call, f.url("/twilio/voice"));
    UUID id = f.callBySid(call.sid).getId();

    f.statusCallback(call, "completed");
    f.twilio.webhook(f.url("/twilio/dial-done?callId=" + id), f.twilio.callParams(call)
        .add("DialCallStatus", "completed").add("DialCallDuration", 5));
    Thread.sleep(TwilioInboundFixture.STATUS_GRACE.toMillis() + 400);

    assertThat(f.call(id).getOutcome()).isEqualTo("ANSWER");
    assertThat(f.ended).hasSize(1);
  }

  @Test
  void aStatusCallbackOfACallAsterlineDoesNotHoldChangesNothing() throws Exception {
    long tenant = f.tenant("acme", 5, "agent", null);
    f.did(tenant, DID);
    TwilioStandIn.Call known = f.twilio.inboundCall(CALLER, DID);
    f.arrive(known);
    TwilioStandIn.Call stranger = f.twilio.inboundCall(CALLER, "+14155550177");

    assertThat(f.statusCallback(stranger, "completed").status()).isEqualTo(204);
    assertThat(f.statusCallback(known, "ringing").status()).isEqualTo(204);
    Thread.sleep(TwilioInboundFixture.STATUS_GRACE.toMillis() + 400);

    assertThat(f.callBySid(known.sid).getEndedAt()).isNull();
    assertThat(f.inUse(tenant)).isEqualTo(1);
  }
}
