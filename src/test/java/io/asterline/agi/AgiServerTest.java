package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agent.CallSettingsRepository;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The three scripts end to end: a real server, a real database, Asterisk's side spoken over a real socket. */
class AgiServerTest {

  private static AgiFixture fx;
  private static long tenant;

  @BeforeAll
  static void start() throws Exception {
    fx = new AgiFixture(Map.of("agi.audiosocket-address", "10.0.0.7:9092"));
    tenant = fx.tenant("acme", 10);
    fx.did(tenant, "+15551234567");
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void inboundAdmitsTheCallAndSetsEveryVariableBeforeTheStatus() throws Exception {
    FakeAsterisk.Exchange x = fx.inbound("+15551234567");

    assertThat(x.status()).isEqualTo("OK");
    String callId = x.get("ASTERLINE_CALL_ID");
    assertThat(x.get("ASTERLINE_TENANT_ID")).isEqualTo(Long.toString(tenant));
    assertThat(x.get("ASTERLINE_ROUTE")).isEqualTo("agent");
    assertThat(x.get("ASTERLINE_AUDIOSOCKET")).isEqualTo("10.0.0.7:9092");
    assertThat(x.get("ASTERLINE_DID")).isEqualTo("+15551234567");
    assertThat(x.get("ASTERLINE_TRUNK")).isEqualTo("TWILIO");
    assertThat(x.get("ASTERLINE_RECORDING"))
        .isEqualTo(fx.recordings.toAbsolutePath().resolve(tenant + "/" + callId + ".wav").toString());
    assertThat(x.variables()).doesNotContainKey("ASTERLINE_FORWARD_TO");
    assertThat(x.closedByServer()).isTrue();

    CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
    assertThat(row.getTenantId()).isEqualTo(tenant);
    assertThat(row.getDirection()).isEqualTo("inbound");
    assertThat(row.getState()).isEqualTo("created");
    assertThat(row.getRemoteNumber()).isEqualTo("15557654321");
    assertThat(row.getAsteriskUniqueid()).isEqualTo("1763700000.1");
    assertThat(row.getAsteriskChannel()).isEqualTo("PJSIP/trunk-00000001");
    assertThat(row.getDidId()).isNotNull();
    fx.callEnd(callId);
  }

  @Test
  void theDialledNumberIsNormalisedAndFoundInTheExtensionWhenNoArgumentIsGiven() throws Exception {
    for (String written : List.of("15551234567", "5551234567", "(555) 123-4567")) {
      FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").env("extension", written));
      assertThat(x.status()).as(written).isEqualTo("OK");
      assertThat(x.get("ASTERLINE_DID")).isEqualTo("+15551234567");
      fx.callEnd(x.get("ASTERLINE_CALL_ID"));
    }
    FakeAsterisk.Exchange viaDnid = fx.asterisk.send(FakeAsterisk.request("inbound").env("dnid", "5551234567"));
    assertThat(viaDnid.status()).isEqualTo("OK");
    fx.callEnd(viaDnid.get("ASTERLINE_CALL_ID"));
  }

  @Test
  void aNumberNobodyOwnsIsUnknownAndCreatesNoCall() throws Exception {
    int calls = fx.dsl().fetchCount(CALL);
    assertThat(fx.inbound("+15550000000").status()).isEqualTo("UNKNOWN_DID");
    assertThat(fx.asterisk.send(FakeAsterisk.request("inbound")).status()).isEqualTo("UNKNOWN_DID");
    assertThat(fx.inbound("not-a-number").status()).isEqualTo("UNKNOWN_DID");
    assertThat(fx.dsl().fetchCount(CALL)).isEqualTo(calls);
  }

  @Test
  void inactiveAndQuarantinedNumbersAreNotInService() throws Exception {
    long t = fx.tenant("numbers-out-of-service", 5);
    fx.did(t, "+15552220001");
    fx.did(t, "+15552220002");
    fx.dsl().update(DID).set(DID.STATUS, "inactive").where(DID.NUMBER.eq("+15552220001")).execute();
    fx.dsl().update(DID).set(DID.STATUS, "quarantined").where(DID.NUMBER.eq("+15552220002")).execute();
    assertThat(fx.inbound("+15552220001").status()).isEqualTo("UNKNOWN_DID");
    assertThat(fx.inbound("+15552220002").status()).isEqualTo("UNKNOWN_DID");
  }

  @Test
  void aDisabledTenantIsReported() throws Exception {
    long t = fx.tenant("disabled-co", 5);
    fx.did(t, "+15553330001");
    fx.dsl().update(TENANT).set(TENANT.STATUS, "disabled").where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange x = fx.inbound("+15553330001");
    assertThat(x.status()).isEqualTo("TENANT_DISABLED");
    assertThat(x.get("ASTERLINE_TENANT_ID")).isEqualTo(Long.toString(t));
  }

  @Test
  void theTenantsRouteDecidesWhereTheCallGoes() throws Exception {
    long t = fx.tenant("forwarding-co", 5);
    fx.did(t, "+15554440001");
    fx.dsl().update(TENANT).set(TENANT.TRANSFER_NUMBER, "+15559990000").set(TENANT.INBOUND_ROUTE, "forward")
        .where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange forward = fx.inbound("+15554440001");
    assertThat(forward.status()).isEqualTo("OK");
    assertThat(forward.get("ASTERLINE_ROUTE")).isEqualTo("forward");
    assertThat(forward.get("ASTERLINE_FORWARD_TO")).isEqualTo("+15559990000");
    assertThat(forward.variables()).doesNotContainKey("ASTERLINE_AUDIOSOCKET");
    fx.callEnd(forward.get("ASTERLINE_CALL_ID"));

    fx.dsl().update(TENANT).set(TENANT.INBOUND_ROUTE, "reject").set(TENANT.RECORDING_ENABLED, false)
        .where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange reject = fx.inbound("+15554440001");
    assertThat(reject.status()).isEqualTo("OK");
    assertThat(reject.get("ASTERLINE_ROUTE")).isEqualTo("reject");
    assertThat(reject.variables()).doesNotContainKey("ASTERLINE_CALL_ID");
    assertThat(fx.slotsInUse(t)).isZero();
  }

  @Test
  void aStaticTenantFromTheDialplanNeedsNoDidRow() throws Exception {
    long t = fx.tenant("static-co", 5);
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15556660001", Long.toString(t)));
    assertThat(x.status()).isEqualTo("OK");
    assertThat(x.get("ASTERLINE_TENANT_ID")).isEqualTo(Long.toString(t));
    assertThat(x.variables()).doesNotContainKey("ASTERLINE_TRUNK");
    fx.callEnd(x.get("ASTERLINE_CALL_ID"));
  }

  @Test
  void theHangupLineMidScriptDoesNotStopTheAnswer() throws Exception {
    // HANGUP arrives just before Asterisk's answer to the first command (the outputs' MSet)
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15551234567").hangupBefore(1));
    assertThat(x.status()).isEqualTo("OK");
    assertThat(x.get("ASTERLINE_CALL_ID")).isNotNull();
    fx.callEnd(x.get("ASTERLINE_CALL_ID"));
  }

  @Test
  void aCallerWhoLeavesDuringTheAnswerGetsHisSlotBack() throws Exception {
    long t = fx.tenant("early-leavers", 1);
    fx.did(t, "+15557770001");
    // the caller leaves as the answer arrives: Asterisk closes instead of running the outputs' MSet
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15557770001").closeAt(1));
    assertThat(x.variables()).isEmpty();
    assertThat(x.commands()).hasSize(1).first().asString().startsWith("EXEC \"MSet\"");
    UUID callId = fx.dsl().select(CALL.ID).from(CALL).where(CALL.TENANT_ID.eq(t)).fetchSingle(CALL.ID);

    CallRecord row = awaitRow(callId, r -> r.getEndedAt() != null);
    assertThat(row.getOutcome()).isEqualTo("ABANDONED");
    assertThat(fx.slotsInUse(t)).isZero();
    // the one slot of this tenant is free again
    FakeAsterisk.Exchange next = fx.inbound("+15557770001");
    assertThat(next.status()).isEqualTo("OK");
    fx.callEnd(next.get("ASTERLINE_CALL_ID"));
  }

  @Test
  void inboundAnswersInOneRoundTripWithEveryVariableInOrder() throws Exception {
    FakeAsterisk.Exchange x = fx.inbound("+15551234567");

    // Asterisk hears one command in all, asterisk-java's own AJ_AGISTATUS included
    assertThat(x.commands()).hasSize(1);
    assertThat(x.commands().get(0)).startsWith("EXEC \"MSet\" \"ASTERLINE_TENANT_ID=");
    assertThat(x.setOrder()).containsSubsequence("ASTERLINE_TENANT_ID", "ASTERLINE_CALL_ID", "AJ_AGISTATUS",
        "ASTERLINE_STATUS");
    assertThat(x.get("AJ_AGISTATUS")).isEqualTo("SUCCESS");
    assertThat(x.status()).isEqualTo("OK");

    FakeAsterisk.Exchange end = fx.callEnd(x.get("ASTERLINE_CALL_ID"));
    assertThat(end.commands()).hasSize(1);
    assertThat(end.status()).isEqualTo("OK");
    assertThat(end.get("AJ_AGISTATUS")).isEqualTo("SUCCESS");
  }

  @Test
  void aValueMSetWouldMangleIsSetOnItsOwnAndArrivesIntact() throws Exception {
    // an operator's recordings folder with a space, a comma and a quote in its name
    java.nio.file.Path odd = java.nio.file.Files.createTempDirectory("rec, \"odd\" (1)");
    try (AgiFixture own = new AgiFixture(TestDatabase.fresh(4), Map.of(), odd)) {
      long t = own.tenant("odd-path", 5);
      own.did(t, "+15557770099");

      FakeAsterisk.Exchange x = own.inbound("+15557770099");

      assertThat(x.status()).isEqualTo("OK");
      String callId = x.get("ASTERLINE_CALL_ID");
      assertThat(x.get("ASTERLINE_RECORDING")).isEqualTo(odd.toAbsolutePath().resolve(t + "/" + callId + ".wav").toString());
      assertThat(x.get("ASTERLINE_TRUNK")).isEqualTo("TWILIO");
      assertThat(x.commands().get(0)).startsWith("SET VARIABLE \"ASTERLINE_RECORDING\"");
      assertThat(x.commands().get(1)).startsWith("EXEC \"MSet\"").doesNotContain("ASTERLINE_RECORDING");
    }
  }

  @Test
  void anAsteriskWithoutMSetGetsEveryVariableOneByOne() throws Exception {
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15551234567")
        .withoutApplication("MSet"));

    assertThat(x.status()).isEqualTo("OK");
    assertThat(x.get("ASTERLINE_CALL_ID")).isNotNull();
    assertThat(x.get("ASTERLINE_AUDIOSOCKET")).isEqualTo("10.0.0.7:9092");
    assertThat(x.get("ASTERLINE_TRUNK")).isEqualTo("TWILIO");
    assertThat(x.commands()).anyMatch(c -> c.startsWith("SET VARIABLE \"ASTERLINE_CALL_ID\""));
    // the library then sets its own status itself, as it always did
    assertThat(x.get("AJ_AGISTATUS")).isEqualTo("SUCCESS");
    fx.callEnd(x.get("ASTERLINE_CALL_ID"));
  }

  @Test
  void callEndStoresTheEndOnceAndToleratesRepeatsAndStrangers() throws Exception {
    FakeAsterisk.Exchange in = fx.inbound("+15551234567");
    String callId = in.get("ASTERLINE_CALL_ID");
    int before = fx.slotsInUse(tenant);

    FakeAsterisk.Exchange end = fx.asterisk.send(FakeAsterisk.request("call-end")
        .args(callId, "ANSWER", "16", "/var/spool/asterisk/recordings/1/" + callId + ".wav"));
    assertThat(end.status()).isEqualTo("OK");
    assertThat(fx.slotsInUse(tenant)).isEqualTo(before - 1);
    CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
    assertThat(row.getState()).isEqualTo("ended");
    assertThat(row.getEndedAt()).isNotNull();
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
    assertThat(row.getHangupCause()).isEqualTo("16");
    assertThat(row.getRecordingFile()).isEqualTo("/var/spool/asterisk/recordings/1/" + callId + ".wav");
    assertThat(fx.ended).filteredOn(e -> e.callId().toString().equals(callId)).singleElement()
        .satisfies(e -> {
          assertThat(e.tenantId()).isEqualTo(tenant);
          assertThat(e.recordingFile()).isEqualTo(row.getRecordingFile());
        });

    FakeAsterisk.Exchange again = fx.asterisk.send(FakeAsterisk.request("call-end").args(callId, "BUSY", "17", "/x.wav"));
    assertThat(again.status()).isEqualTo("UNKNOWN_CALL");
    assertThat(fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne()).isEqualTo(row);
    assertThat(fx.slotsInUse(tenant)).isEqualTo(before - 1);
    assertThat(fx.ended).filteredOn(e -> e.callId().toString().equals(callId)).hasSize(1);

    assertThat(fx.callEnd(UUID.randomUUID().toString()).status()).isEqualTo("UNKNOWN_CALL");
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end").args("garbage")).status()).isEqualTo("UNKNOWN_CALL");
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end")).status()).isEqualTo("UNKNOWN_CALL");
  }

  @Test
  void callEndReadsChannelVariablesWhenTheDialplanPassesNoArguments() throws Exception {
    String callId = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    FakeAsterisk.Exchange end = fx.asterisk.send(FakeAsterisk.request("call-end")
        .variable("ASTERLINE_CALL_ID", callId).variable("DIALSTATUS", "CHANUNAVAIL").variable("HANGUPCAUSE", "34"));
    assertThat(end.status()).isEqualTo("OK");
    CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
    assertThat(row.getOutcome()).isEqualTo("CHANUNAVAIL");
    assertThat(row.getHangupCause()).isEqualTo("34");
    assertThat(row.getRecordingFile()).isNull();
  }

  /**
   * call-end as the dialplan runs it (fifth argument: the ASTERLINE_AUDIOSOCKET the call was sent to): whether the
   * agent's leg ever reached Asterline decides the outcome, not the last Dial's status alone.
   */
  @Test
  void aCallWhoseAgentLegNeverConnectedEndsAsAgentUnavailable() throws Exception {
    // Dial(AudioSocket) CHANUNAVAIL, the failure route played the busy announcement
    String unreachable = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end")
        .args(unreachable, "CHANUNAVAIL", "34", "", "10.0.0.7:9092")).status()).isEqualTo("OK");
    // ... or the failure route forwarded the caller to people who answered: the last Dial says ANSWER
    String forwarded = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end")
        .args(forwarded, "ANSWER", "16", "", "10.0.0.7:9092")).status()).isEqualTo("OK");
    // the agent's leg connected (the AudioSocket server's first step), then the caller hung up
    String talked = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    TenantApiKeys keys = new TenantApiKeys(fx.dsl(), new SecretBox(SecretsConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of()))));
    assertThat(new CallSettingsRepository(fx.dsl(), keys).connect(UUID.fromString(talked))).isPresent();
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end")
        .args(talked, "ANSWER", "16", "", "10.0.0.7:9092")).status()).isEqualTo("OK");
    // the caller left between the answer and the agent's Dial: no Dial ran
    String left = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end")
        .args(left, "", "16", "", "10.0.0.7:9092")).status()).isEqualTo("OK");

    assertThat(outcome(unreachable)).isEqualTo("agent_unavailable");
    assertThat(outcome(forwarded)).isEqualTo("agent_unavailable");
    assertThat(outcome(talked)).isEqualTo("ANSWER");
    assertThat(outcome(left)).isEqualTo("ABANDONED");
    assertThat(fx.metrics.get("asterline.calls.ended").tags("direction", "inbound", "outcome", "agent_unavailable")
        .counter().count()).isEqualTo(2.0);
    assertThat(fx.metrics.get("asterline.calls.ended").tags("direction", "inbound", "outcome", "ABANDONED")
        .counter().count()).isEqualTo(1.0);
  }

  private static String outcome(String callId) {
    return fx.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(UUID.fromString(callId)));
  }

  @Test
  void afterAgentTellsTheDialplanWhatTheAgentDecided() throws Exception {
    String callId = fx.inbound("+15551234567").get("ASTERLINE_CALL_ID");
    fx.dsl().update(CALL).set(CALL.AGENT_DECISION, "transfer").set(CALL.TRANSFER_TO, "+15558880000")
        .where(CALL.ID.eq(UUID.fromString(callId))).execute();
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("after-agent").args(callId));
    assertThat(x.status()).isEqualTo("OK");
    assertThat(x.get("ASTERLINE_NEXT")).isEqualTo("transfer");
    assertThat(x.get("ASTERLINE_TRANSFER_TO")).isEqualTo("+15558880000");

    fx.dsl().update(CALL).set(CALL.AGENT_DECISION, "voicemail").setNull(CALL.TRANSFER_TO)
        .where(CALL.ID.eq(UUID.fromString(callId))).execute();
    FakeAsterisk.Exchange vm = fx.asterisk.send(FakeAsterisk.request("after-agent").variable("ASTERLINE_CALL_ID", callId));
    assertThat(vm.status()).isEqualTo("OK");
    assertThat(vm.get("ASTERLINE_NEXT")).isEqualTo("voicemail");
    fx.callEnd(callId);
  }

  @Test
  void afterAgentFallsBackToTheTenantWhenTheAgentLeftNoDecision() throws Exception {
    long t = fx.tenant("fallback-co", 5);
    fx.did(t, "+15551110001");
    String silent = fx.inbound("+15551110001").get("ASTERLINE_CALL_ID");
    FakeAsterisk.Exchange hangup = fx.asterisk.send(FakeAsterisk.request("after-agent").args(silent));
    assertThat(hangup.status()).isEqualTo("FALLBACK");
    assertThat(hangup.get("ASTERLINE_NEXT")).isEqualTo("hangup");

    fx.dsl().update(TENANT).set(TENANT.TRANSFER_NUMBER, "+15551110099").where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange transfer = fx.asterisk.send(FakeAsterisk.request("after-agent").args(silent));
    assertThat(transfer.status()).isEqualTo("FALLBACK");
    assertThat(transfer.get("ASTERLINE_NEXT")).isEqualTo("transfer");
    assertThat(transfer.get("ASTERLINE_TRANSFER_TO")).isEqualTo("+15551110099");

    FakeAsterisk.Exchange stranger = fx.asterisk.send(FakeAsterisk.request("after-agent").args(UUID.randomUUID().toString()));
    assertThat(stranger.status()).isEqualTo("UNKNOWN_CALL");
    assertThat(stranger.get("ASTERLINE_NEXT")).isEqualTo("hangup");
    fx.callEnd(silent);
  }

  @Test
  void anUnknownScriptAnswersError() throws Exception {
    FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbond").args("+15551234567"));
    assertThat(x.status()).isEqualTo("ERROR");
    assertThat(x.closedByServer()).isTrue();
  }

  @Test
  void drainingSendsNewCallsToTheFallback() throws Exception {
    try (AgiFixture draining = new AgiFixture(Map.of())) {
      long t = draining.tenant("t", 5);
      draining.did(t, "+15551234567");
      draining.agi.admission().drain();
      assertThat(draining.inbound("+15551234567").status()).isEqualTo("OVER_CAPACITY");
      assertThat(draining.dsl().fetchCount(CALL)).isZero();
      assertThat(draining.agi.health().check().state().name()).isEqualTo("STOPPING");
    }
  }

  @Test
  void requestLatencyIsRecordedPerScriptAndStatus() throws Exception {
    fx.inbound("+15550000001");
    assertThat(fx.metrics.find("asterline.agi.request").tags("script", "inbound", "status", "UNKNOWN_DID").timer())
        .isNotNull()
        .satisfies(t -> assertThat(t.count()).isPositive());
  }

  @Test
  void aScriptThatCrashesStillAnswersErrorAndAConnectionOutsideTheAllowListGetsNoScript() throws Exception {
    AtomicInteger ran = new AtomicInteger();
    AsterlineAgiScript crash = new AsterlineAgiScript("crash", new SimpleMeterRegistry()) {
      @Override
      ScriptResult decide(AgiRequest request, AgiChannel channel) {
        ran.incrementAndGet();
        throw new IllegalStateException("boom");
      }
    };
    AgiScript unknown = new UnknownScript(new SimpleMeterRegistry());
    try (FastAgiServer server = new FastAgiServer(InetAddress.getByName("127.0.0.1"), 0, 4,
        new FastAgiServer.Limits(List.of(Cidr.parse("127.0.0.1/32")), Duration.ofSeconds(5), Duration.ofSeconds(3),
            4, FastAgiServer.MAX_LINE), Map.of("crash", crash), unknown)) {
      FakeAsterisk asterisk = new FakeAsterisk(server.port());

      FakeAsterisk.Exchange crashed = asterisk.send(FakeAsterisk.request("crash"));
      assertThat(crashed.status()).isEqualTo("ERROR");
      assertThat(ran).hasValue(1);

      FakeAsterisk.Exchange refused = asterisk.send(FakeAsterisk.request("crash").from("127.0.0.2"));
      assertThat(refused.commands()).isEmpty();
      assertThat(refused.closedByServer()).isTrue();
      assertThat(ran).hasValue(1);
      assertThat(server.refusedConnections()).isEqualTo(1);
    }
  }

  private static CallRecord awaitRow(UUID callId, java.util.function.Predicate<CallRecord> until)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(callId)).fetchOne();
      if (row != null && until.test(row)) {
        return row;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("call " + callId + " never reached the expected state: " + row);
      }
      Thread.sleep(20);
    }
  }
}
