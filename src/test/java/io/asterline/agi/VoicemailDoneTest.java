package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.RecordingJobRecord;
import io.asterline.recording.RecordingJobs;
import io.asterline.recording.RecordingQueue;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Asterline's voicemail over a real FastAGI socket, with the real recording queue behind the scripts: the
 * answers that send a call to [asterline-voicemail] carry where to record and what to play, and voicemail-done
 * stores the message on the call once and queues its recording job.
 */
class VoicemailDoneTest {

  private static TestDatabase.Db db;
  private static AgiService agi;
  private static FakeAsterisk asterisk;
  private static Path recordings;
  private static long acme;
  private static long plain;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    recordings = Files.createTempDirectory("asterline-voicemail");
    AgiConfig config = AgiConfig.from(Settings.of(Map.of(), Map.of(), Map.of("agi.port", "0")));
    agi = AgiService.start(config, new io.asterline.admission.Admission(db.dsl(),
        new io.asterline.admission.AdmissionConfig(1000, Duration.ofHours(4))), recordings, db.dsl(), 4, new RecordingQueue(new RecordingJobs(db.dsl()), () -> { }),
        new SimpleMeterRegistry(), Map.of(), io.asterline.degraded.TestDegradedMode.open());
    asterisk = new FakeAsterisk(agi.port());
    // acme sends every caller to voicemail and has its own greeting; plain talks to the agent, default greeting
    acme = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").set(TENANT.MAX_CONCURRENT_CALLS, 10)
        .set(TENANT.INBOUND_ROUTE, "voicemail").set(TENANT.VOICEMAIL_GREETING_SOUND, "custom/acme-voicemail")
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    plain = db.dsl().insertInto(TENANT).set(TENANT.NAME, "plain").set(TENANT.MAX_CONCURRENT_CALLS, 10)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, acme).set(DID.NUMBER, "+15551110000").set(DID.TRUNK, "TWILIO").execute();
    db.dsl().insertInto(DID).set(DID.TENANT_ID, plain).set(DID.NUMBER, "+15552220000").set(DID.TRUNK, "TWILIO").execute();
  }

  @AfterAll
  static void stop() {
    agi.close();
    db.close();
  }

  private static String voicemailFile(long tenant, String callId) {
    return recordings.toAbsolutePath().resolve(tenant + "/" + callId + "-voicemail.wav").toString();
  }

  @Test
  void theVoicemailRouteTellsTheDialplanWhereToRecordAndWhatToPlay() throws Exception {
    FakeAsterisk.Exchange x = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000"));

    assertThat(x.status()).isEqualTo("OK");
    String callId = x.get("ASTERLINE_CALL_ID");
    assertThat(x.get("ASTERLINE_ROUTE")).isEqualTo("voicemail");
    assertThat(x.get("ASTERLINE_VOICEMAIL_FILE")).isEqualTo(voicemailFile(acme, callId));
    assertThat(x.get("ASTERLINE_VOICEMAIL_GREETING")).isEqualTo("custom/acme-voicemail");
    assertThat(x.variables()).doesNotContainKey("ASTERLINE_AUDIOSOCKET");
    // still one round trip: everything in the one MSet
    assertThat(x.commands()).filteredOn(c -> c.startsWith("EXEC")).hasSize(1);
  }

  @Test
  void theAgentsVoicemailDecisionCarriesTheFileAndTheDefaultGreeting() throws Exception {
    String callId = asterisk.send(FakeAsterisk.request("inbound").args("+15552220000")).get("ASTERLINE_CALL_ID");
    db.dsl().update(CALL).set(CALL.AGENT_DECISION, "voicemail").where(CALL.ID.eq(UUID.fromString(callId))).execute();

    FakeAsterisk.Exchange x = asterisk.send(FakeAsterisk.request("after-agent").args(callId));

    assertThat(x.status()).isEqualTo("OK");
    assertThat(x.get("ASTERLINE_NEXT")).isEqualTo("voicemail");
    assertThat(x.get("ASTERLINE_VOICEMAIL_FILE")).isEqualTo(voicemailFile(plain, callId));
    assertThat(x.get("ASTERLINE_VOICEMAIL_GREETING")).isEqualTo("vm-intro");
  }

  @Test
  void voicemailDoneStoresTheMessageOnceAndQueuesItsRecordingJob() throws Exception {
    String callId = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");
    UUID id = UUID.fromString(callId);
    String file = voicemailFile(acme, callId);

    // the caller hung up to end the message: the hangup handler reports it
    FakeAsterisk.Exchange done = asterisk.send(FakeAsterisk.request("voicemail-done").args(callId, file, "HANGUP", "4200"));

    assertThat(done.status()).isEqualTo("OK");
    CallRecord call = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(call.getVoicemailFile()).isEqualTo(file);
    assertThat(call.getVoicemailDurationMs()).isEqualTo(4200);
    assertThat(call.getVoicemailAt()).isNotNull();
    RecordingJobRecord job = db.dsl().selectFrom(RECORDING_JOB).where(RECORDING_JOB.CALL_ID.eq(id)).fetchOne();
    assertThat(job.getKind()).isEqualTo("voicemail");
    assertThat(job.getSourceFile()).isEqualTo(file);
    assertThat(job.getState()).isEqualTo("pending");
    assertThat(job.getTenantId()).isEqualTo(acme);

    // a second report (the dialplan's own, then the handler's) changes nothing
    FakeAsterisk.Exchange again = asterisk.send(FakeAsterisk.request("voicemail-done")
        .args(callId, recordings.resolve("other.wav").toString(), "DTMF", "1000"));
    assertThat(again.status()).isEqualTo("OK");
    CallRecord after = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(after.getVoicemailFile()).isEqualTo(file);
    assertThat(after.getVoicemailDurationMs()).isEqualTo(4200);
    assertThat(after.getVoicemailAt()).isEqualTo(call.getVoicemailAt());
    assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.CALL_ID.eq(id))).isEqualTo(1);
  }

  /** The voicemail route runs no Dial, so call-end has no DIALSTATUS: the outcome says what the caller got. */
  @Test
  void aCallThatWentToVoicemailEndsWithACountableOutcome() throws Exception {
    String left = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");
    asterisk.send(FakeAsterisk.request("voicemail-done").args(left, voicemailFile(acme, left), "HANGUP", "3000"));
    String gone = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");

    // as the hangup handler sends it after the voicemail route: no Dial ran, so no DIALSTATUS
    assertThat(asterisk.send(FakeAsterisk.request("call-end").args(left, "", "16", "")).status()).isEqualTo("OK");
    assertThat(asterisk.send(FakeAsterisk.request("call-end").args(gone, "", "16", "")).status()).isEqualTo("OK");

    assertThat(db.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(UUID.fromString(left)))).isEqualTo("voicemail");
    assertThat(db.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(UUID.fromString(gone))))
        .as("the caller left before leaving a message").isEqualTo("ABANDONED");
  }

  /**
   * No agent leg connects on the voicemail route, so the message is the first Asterline hears of the answer: the
   * call counts as answered (no later than the recording's start, never before the call), and ends after that.
   */
  @Test
  void aCallerWhoLeftAMessageWasAnswered() throws Exception {
    String callId = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");
    UUID id = UUID.fromString(callId);
    CallRecord before = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(before.getAnsweredAt()).as("not before the dialplan answers").isNull();
    assertThat(before.getState()).isEqualTo("created");

    asterisk.send(FakeAsterisk.request("voicemail-done").args(callId, voicemailFile(acme, callId), "HANGUP", "3000"));
    CallRecord left = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(left.getState()).isEqualTo("answered");
    assertThat(left.getAnsweredAt()).isNotNull()
        .isAfterOrEqualTo(left.getCreatedAt())
        .isBeforeOrEqualTo(left.getVoicemailAt());

    assertThat(asterisk.send(FakeAsterisk.request("call-end").args(callId, "", "16", "")).status()).isEqualTo("OK");
    CallRecord ended = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(ended.getState()).isEqualTo("ended");
    assertThat(ended.getOutcome()).isEqualTo("voicemail");
    assertThat(ended.getAnsweredAt()).isEqualTo(left.getAnsweredAt());
    assertThat(ended.getEndedAt()).isAfterOrEqualTo(ended.getAnsweredAt());
  }

  @Test
  void theInputsMayComeFromTheChannelAsTheHangupHandlerHasThem() throws Exception {
    String callId = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");
    String file = voicemailFile(acme, callId);

    FakeAsterisk.Exchange done = asterisk.send(FakeAsterisk.request("voicemail-done")
        .variable("ASTERLINE_CALL_ID", callId).variable("ASTERLINE_VOICEMAIL_FILE", file)
        .variable("RECORD_STATUS", "SILENCE"));

    assertThat(done.status()).isEqualTo("OK");
    CallRecord call = db.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
    assertThat(call.getVoicemailFile()).isEqualTo(file);
    assertThat(call.getVoicemailDurationMs()).isNull();
  }

  @Test
  void nothingIsStoredWhenRecordKeptNothingOrTheCallIsUnknown() throws Exception {
    String callId = asterisk.send(FakeAsterisk.request("inbound").args("+15551110000")).get("ASTERLINE_CALL_ID");
    UUID id = UUID.fromString(callId);
    String file = voicemailFile(acme, callId);

    assertThat(asterisk.send(FakeAsterisk.request("voicemail-done").args(callId, file, "ERROR", "0")).status())
        .isEqualTo("NO_MESSAGE");
    assertThat(asterisk.send(FakeAsterisk.request("voicemail-done").args(callId, file)).status())
        .isEqualTo("NO_MESSAGE");
    assertThat(db.dsl().fetchValue(CALL.VOICEMAIL_FILE, CALL.ID.eq(id))).isNull();
    assertThat(db.dsl().fetchCount(RECORDING_JOB, RECORDING_JOB.CALL_ID.eq(id))).isZero();

    assertThat(asterisk.send(FakeAsterisk.request("voicemail-done")
        .args(UUID.randomUUID().toString(), file, "HANGUP", "1000")).status()).isEqualTo("UNKNOWN_CALL");
    assertThat(asterisk.send(FakeAsterisk.request("voicemail-done").args("not-a-call", file, "HANGUP")).status())
        .isEqualTo("UNKNOWN_CALL");
    // a dialplan that lost the file name
    assertThat(asterisk.send(FakeAsterisk.request("voicemail-done").args(callId, "", "HANGUP", "1000")).status())
        .isEqualTo("ERROR");
  }
}
