package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.admission.Admission;
import io.asterline.admission.AdmissionConfig;
import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.degraded.LocalCalls;
import io.asterline.degraded.TestDegradedMode;
import io.asterline.db.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The scripts on their own, against a map-backed channel and a real database. */
class ScriptTest {

  private static TestDatabase.Db db;
  private static DbDeadline deadline;
  private static DbBatch<AgiRepository.InboundAsk, AgiRepository.Admitted> admissions;
  private static DbBatch<CallRepository.EndAsk, java.util.Optional<CallRepository.Ended>> ends;
  private static InboundScript inbound;
  private static CallEndScript callEnd;
  private static AfterAgentScript afterAgent;
  private static PendingWrites pending;
  private static long tenant;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.fresh();
    AgiRepository repository = new AgiRepository(db.dsl());
    deadline = new DbDeadline(Duration.ofSeconds(10), 2, 16);
    pending = new PendingWrites(TestDegradedMode.open().journal(), new CallRepository(db.dsl()),
        CallEvents.NONE);
    LocalCalls local = new LocalCalls();
    Admission admission = new Admission(db.dsl(), new AdmissionConfig(100, Duration.ofHours(4)));
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    admissions = new DbBatch<>("inbound", 8, 16, deadline,
        asks -> repository.admitInboundBatch(asks, admission.maxCalls(), admission.holdSeconds()));
    ends = new DbBatch<>("call-end", 8, 16, deadline, repository.calls()::ended);
    inbound = new InboundScript(repository, admission, admissions, deadline, new DidCache(), pending, local, "127.0.0.1:9092",
        Path.of("/var/spool/asterisk/recordings"), "1", metrics);
    callEnd = new CallEndScript(ends, pending, local, CallEvents.NONE, metrics);
    afterAgent = new AfterAgentScript(repository, deadline, local, Path.of("/var/spool/asterisk/recordings"), metrics);
    tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "unit").set(TENANT.MAX_CONCURRENT_CALLS, 5)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551234567").set(DID.TRUNK, "DIDWW").execute();
  }

  @AfterAll
  static void tearDown() {
    admissions.close();
    ends.close();
    deadline.close();
    db.close();
  }

  @Test
  void inboundSetsItsOutputsAndTheStatusLast() {
    FakeChannel ch = new FakeChannel();
    inbound.service(FakeChannel.request("inbound", Map.of("dnid", "15551234567")), ch.channel());
    assertThat(ch.setOrder).last().isEqualTo("ASTERLINE_STATUS");
    assertThat(ch.set).containsEntry("ASTERLINE_STATUS", "OK").containsEntry("ASTERLINE_TRUNK", "DIDWW")
        .containsEntry("ASTERLINE_RECORDING", "/var/spool/asterisk/recordings/" + tenant + "/"
            + ch.set.get("ASTERLINE_CALL_ID") + ".wav");
  }

  @Test
  void aHangupWhileAnsweringEndsTheCallItAdmitted() {
    // the channel is gone when the answer (one MSet) arrives
    FakeChannel ch = new FakeChannel().hangupAfterCommands(0);
    inbound.service(FakeChannel.request("inbound", Map.of("uniqueid", "1763700000.77"), "+15551234567"), ch.channel());
    assertThat(ch.set).isEmpty();
    UUID callId = db.dsl().fetchValue(CALL.ID, CALL.ASTERISK_UNIQUEID.eq("1763700000.77"));
    assertThat(db.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(callId))).isEqualTo("ABANDONED");
    assertThat(db.dsl().fetchValue("SELECT count(*) FROM admission_slot WHERE call_id = ?", callId)).isEqualTo(0L);
  }

  @Test
  void callEndAndAfterAgentReadTheCallIdFromTheChannel() {
    FakeChannel in = new FakeChannel();
    inbound.service(FakeChannel.request("inbound", Map.of(), "+15551234567"), in.channel());
    String callId = in.set.get("ASTERLINE_CALL_ID");

    FakeChannel after = new FakeChannel().variable("ASTERLINE_CALL_ID", callId);
    afterAgent.service(FakeChannel.request("after-agent", Map.of()), after.channel());
    assertThat(after.set).containsEntry("ASTERLINE_STATUS", "FALLBACK").containsEntry("ASTERLINE_NEXT", "hangup");

    FakeChannel end = new FakeChannel().variable("ASTERLINE_CALL_ID", callId).variable("DIALSTATUS", "ANSWER")
        .variable("MIXMONITOR_FILENAME", "/var/spool/asterisk/recordings/x.wav");
    callEnd.service(FakeChannel.request("call-end", Map.of()), end.channel());
    assertThat(end.set).containsExactly(Map.entry("ASTERLINE_STATUS", "OK"));
    assertThat(db.dsl().fetchValue(CALL.RECORDING_FILE, CALL.ID.eq(UUID.fromString(callId))))
        .isEqualTo("/var/spool/asterisk/recordings/x.wav");
  }
}
