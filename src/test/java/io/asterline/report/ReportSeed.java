package io.asterline.report;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.http.Auth;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A small, fully known history: two tenants, five DIDs in two segments on two trunks, seven calls over two
 * days in March 2025 and four recording jobs. The expected figures in {@link ReportsTest} are worked out by
 * hand from these rows (see the comments there).
 */
final class ReportSeed {

  final long acme;
  final long beta;

  ReportSeed(DSLContext dsl) {
    acme = tenant(dsl, "acme", true);
    beta = tenant(dsl, "beta", false);
    UUID acmeTwilio1 = did(dsl, acme, "+15550000001", "twilio-main", "TWILIO", 10, "active");
    did(dsl, acme, "+15550000002", "twilio-main", "TWILIO", 20, "active");
    did(dsl, acme, "+15550000003", "twilio-main", "TWILIO", 30, "inactive");
    UUID acmeDidww = did(dsl, acme, "+4930000001", "didww", "DIDWW", 5, "active");
    UUID betaTwilio = did(dsl, beta, "+15550000009", "twilio-main", "TWILIO", 100, "active");

    // c1: acme inbound, answered, 1000 ms to first audio (500 ms from the AudioSocket connection)
    UUID c1 = call(dsl, acme, "inbound", acmeTwilio1, "ended", t("2025-03-01T10:00:00Z"), t("2025-03-01T10:00:01Z"),
        t("2025-03-01T10:00:01.5Z"), t("2025-03-01T10:00:02Z"), t("2025-03-01T10:10:00Z"), null);
    // c2: acme inbound, answered, 500 ms (300 ms)
    UUID c2 = call(dsl, acme, "inbound", acmeTwilio1, "ended", t("2025-03-01T10:05:00Z"), t("2025-03-01T10:05:01Z"),
        t("2025-03-01T10:05:01.2Z"), t("2025-03-01T10:05:01.5Z"), t("2025-03-01T10:20:00Z"), null);
    // c3: acme outbound through DIDWW, failed
    call(dsl, acme, "outbound", acmeDidww, "failed", t("2025-03-01T10:30:00Z"), null, null, null,
        t("2025-03-01T10:30:05Z"), "CONGESTION");
    // c4: acme outbound, answered, 1000 ms (800 ms), two barge-ins, AMD said human
    UUID c4 = call(dsl, acme, "outbound", acmeDidww, "ended", t("2025-03-01T11:15:00Z"), t("2025-03-01T11:15:10Z"),
        t("2025-03-01T11:15:10.2Z"), t("2025-03-01T11:15:11Z"), t("2025-03-01T11:45:00Z"), null);
    dsl.update(CALL).set(CALL.BARGE_IN_COUNT, 2).set(CALL.BARGE_IN_MAX_STOP_MS, 300).set(CALL.VOICEMAIL_RESULT, "human")
        .where(CALL.ID.eq(c4)).execute();
    // c5: acme outbound the next day, not answered, AMD said machine
    UUID c5 = call(dsl, acme, "outbound", acmeDidww, "ended", t("2025-03-02T09:00:00Z"), null, null, null,
        t("2025-03-02T09:00:30Z"), "NO ANSWER");
    dsl.update(CALL).set(CALL.VOICEMAIL_RESULT, "machine").where(CALL.ID.eq(c5)).execute();
    // c6: beta inbound, answered, 3000 ms (2500 ms), one barge-in, sent to voicemail
    UUID c6 = call(dsl, beta, "inbound", betaTwilio, "ended", t("2025-03-01T10:10:00Z"), t("2025-03-01T10:10:00.5Z"),
        t("2025-03-01T10:10:01Z"), t("2025-03-01T10:10:03.5Z"), t("2025-03-01T10:40:00Z"), null);
    dsl.update(CALL).set(CALL.BARGE_IN_COUNT, 1).set(CALL.BARGE_IN_MAX_STOP_MS, 500).set(CALL.AGENT_DECISION, "voicemail")
        .set(CALL.VOICEMAIL_FILE, "/r/" + c6 + "-voicemail.wav").set(CALL.VOICEMAIL_DURATION_MS, 12000)
        .set(CALL.VOICEMAIL_AT, t("2025-03-01T10:39:50Z"))
        .where(CALL.ID.eq(c6)).execute();
    // c7: beta inbound, failed
    call(dsl, beta, "inbound", betaTwilio, "failed", t("2025-03-01T10:50:00Z"), null, null, null,
        t("2025-03-01T10:50:01Z"), "CHANUNAVAIL");

    // recordings: c1 stored and transcribed, c2 failed before capture, c4 still queued, c6 stored (beta: no transcripts)
    job(dsl, c1, acme, "done", "done", true, "done", null);
    job(dsl, c2, acme, "failed", "capture", false, null, "recording file /r/c2.wav does not exist");
    job(dsl, c4, acme, "pending", "capture", false, null, null);
    job(dsl, c6, beta, "done", "done", true, "skipped", null);
    // and c6's voicemail, stored (a second job on the call, which recording_success must not count)
    OffsetDateTime stored = OffsetDateTime.now();
    dsl.insertInto(RECORDING_JOB).set(RECORDING_JOB.CALL_ID, c6).set(RECORDING_JOB.KIND, "voicemail")
        .set(RECORDING_JOB.TENANT_ID, beta).set(RECORDING_JOB.SOURCE_FILE, "/r/" + c6 + "-voicemail.wav")
        .set(RECORDING_JOB.STATE, "done").set(RECORDING_JOB.STEP, "done").set(RECORDING_JOB.CAPTURED_BYTES, 1000L)
        .set(RECORDING_JOB.CAPTURED_AT, stored).set(RECORDING_JOB.STORAGE, "local")
        .set(RECORDING_JOB.STORAGE_KEY, "/r/kept-voicemail.wav").set(RECORDING_JOB.STORED_AT, stored)
        .set(RECORDING_JOB.TRANSCRIPTION, "skipped").execute();
  }

  static OffsetDateTime t(String iso) {
    return OffsetDateTime.parse(iso);
  }

  private static long tenant(DSLContext dsl, String name, boolean transcription) {
    return dsl.insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.TRANSCRIPTION_ENABLED, transcription)
        .set(TENANT.API_TOKEN_HASH, Auth.hash(token(name))).returning(TENANT.ID).fetchOne().getId();
  }

  static String token(String name) {
    return "report-token-of-" + name + "-0123456789";
  }

  private static UUID did(DSLContext dsl, long tenant, String number, String segment, String trunk, long usage,
      String status) {
    return dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, number).set(DID.SEGMENT, segment)
        .set(DID.TRUNK, trunk).set(DID.USAGE_COUNT, usage).set(DID.STATUS, status)
        .returning(DID.ID).fetchOne().getId();
  }

  private static UUID call(DSLContext dsl, long tenant, String direction, UUID did, String state,
      OffsetDateTime created, OffsetDateTime answered, OffsetDateTime connected, OffsetDateTime firstAudio,
      OffsetDateTime ended, String cause) {
    UUID id = UUID.randomUUID();
    dsl.insertInto(CALL).set(CALL.ID, id).set(CALL.TENANT_ID, tenant).set(CALL.DIRECTION, direction)
        .set(CALL.DID_ID, did).set(CALL.STATE, state).set(CALL.CREATED_AT, created).set(CALL.ANSWERED_AT, answered)
        .set(CALL.AGENT_CONNECTED_AT, connected).set(CALL.FIRST_AUDIO_AT, firstAudio).set(CALL.ENDED_AT, ended)
        .set(CALL.HANGUP_CAUSE, cause).execute();
    return id;
  }

  private static void job(DSLContext dsl, UUID call, long tenant, String state, String step, boolean stored,
      String transcription, String error) {
    OffsetDateTime now = OffsetDateTime.now();
    dsl.insertInto(RECORDING_JOB).set(RECORDING_JOB.CALL_ID, call).set(RECORDING_JOB.TENANT_ID, tenant)
        .set(RECORDING_JOB.SOURCE_FILE, "/r/" + call + ".wav").set(RECORDING_JOB.STATE, state)
        .set(RECORDING_JOB.STEP, step)
        .set(RECORDING_JOB.CAPTURED_BYTES, stored ? 1000L : null).set(RECORDING_JOB.CAPTURED_AT, stored ? now : null)
        .set(RECORDING_JOB.STORAGE, stored ? "local" : null).set(RECORDING_JOB.STORAGE_KEY, stored ? "/r/kept.wav" : null)
        .set(RECORDING_JOB.STORED_AT, stored ? now : null).set(RECORDING_JOB.TRANSCRIPTION, transcription)
        .set(RECORDING_JOB.LAST_ERROR, error).execute();
  }
}
