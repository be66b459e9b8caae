package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * What the FastAGI scripts read and write: the DID -> tenant lookup, inbound call rows with their admission
 * slot, the end of a call, and the agent's decision. Every write is one statement, so it is atomic on its
 * own and a retry can never half-apply.
 */
final class AgiRepository {

  /**
   * DID statuses that take inbound calls. {@code inactive} numbers are out of service and {@code quarantined}
   * ones are held back by the DID admin; both answer UNKNOWN_DID (the dialplan hangs up with cause 1,
   * "unallocated number").
   */
  static final Set<String> ROUTABLE_DID_STATUSES = Set.of("active", "available");

  /** Where a dialled number (or a tenant named by the dialplan) sends a call. */
  record Route(
      UUID didId,
      long tenantId,
      String didStatus,
      String trunk,
      boolean tenantActive,
      String inboundRoute,
      String transferNumber,
      boolean recordingEnabled) {

    boolean routable() {
      return didStatus == null || ROUTABLE_DID_STATUSES.contains(didStatus);
    }
  }

  /** A call row to create. */
  record NewCall(UUID id, long tenantId, UUID didId, String remoteNumber, String uniqueId, String channel,
      OffsetDateTime createdAt) {}

  /** A call that has just ended (the first call-end only), with the outcome stored for it. */
  record Ended(long tenantId, String recordingFile, String direction, String outcome) {}

  /** What the agent left for after-agent, with the tenant's fallback and voicemail greeting. */
  record Decision(long tenantId, String agentDecision, String transferTo, String tenantTransferNumber,
      String voicemailGreetingSound) {}

  /** A call's voicemail as stored: the first file reported wins. */
  record Voicemail(long tenantId, String file) {}

  /** One inbound request for {@link #admitInboundBatch}: a number to look up, or the dialplan's static tenant. */
  record InboundAsk(UUID callId, String did, Long staticTenant, String remoteNumber, String uniqueId, String channel,
      OffsetDateTime createdAt) {}

  /**
   * What {@code inbound_admit_batch} decided for one request: {@code UNKNOWN}, {@code NOT_ROUTABLE},
   * {@code TENANT_DISABLED}, {@code REJECT}, {@code OK}, {@code TENANT_FULL} or {@code GLOBAL_FULL}; the route
   * is null only for {@code UNKNOWN}.
   */
  record Admitted(String verdict, Route route) {}

  /**
   * One call-end for {@link #endCallBatch}. {@code agentLeg}: the dialplan sent this call to the agent (it was
   * given an AudioSocket address), so a Dial whose leg never reached Asterline means the agent was unavailable.
   */
  record EndAsk(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at,
      boolean agentLeg) {

    /** An end that says nothing about an agent leg: the DIALSTATUS is taken as it is. */
    EndAsk(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at) {
      this(callId, outcome, hangupCause, recordingFile, at, false);
    }
  }

  private static final String ADMIT_BATCH = "SELECT ord, verdict, tenant_id, did_id, did_status, trunk, tenant_active,"
      + " inbound_route, transfer_number, recording_enabled"
      + " FROM inbound_admit_batch(?, ?, ?, ?, ?, ?, ?::timestamptz[], ?, ?)";
  private static final String END_BATCH = "SELECT ord, tenant_id, recording_file, direction, outcome"
      + " FROM call_end_batch(?, ?, ?, ?, ?::timestamptz[], ?)";

  private final DSLContext dsl;

  AgiRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Every number that takes calls now, for the last-known-good map. */
  List<DidCache.Entry> routableDids() {
    return dsl.select(DID.NUMBER, DID.ID, DID.TENANT_ID, DID.TRUNK, TENANT.RECORDING_ENABLED)
        .from(DID).join(TENANT).on(TENANT.ID.eq(DID.TENANT_ID))
        .where(DID.STATUS.in(ROUTABLE_DID_STATUSES)).and(TENANT.STATUS.eq("active"))
        .fetch(r -> new DidCache.Entry(r.value1(), r.value2(), r.value3(), r.value4(), r.value5()));
  }

  /**
   * Looks up, admits and stores many inbound requests in one statement ({@code inbound_admit_batch} in
   * V7__agi_batches.sql), each with the verdict it would have had alone, in order. Plain JDBC: this runs for
   * every inbound call, and the statement's text never changes, so the driver keeps it prepared.
   */
  List<Admitted> admitInboundBatch(List<InboundAsk> asks, int globalMax, int holdSeconds) {
    int n = asks.size();
    UUID[] ids = new UUID[n];
    String[] dids = new String[n];
    Long[] tenants = new Long[n];
    String[] remote = new String[n];
    String[] uniqueIds = new String[n];
    String[] channels = new String[n];
    String[] created = new String[n];
    for (int i = 0; i < n; i++) {
      InboundAsk a = asks.get(i);
      ids[i] = a.callId();
      dids[i] = a.did();
      tenants[i] = a.staticTenant();
      remote[i] = text(a.remoteNumber());
      uniqueIds[i] = text(a.uniqueId());
      channels[i] = text(a.channel());
      created[i] = a.createdAt().toString();
    }
    return dsl.connectionResult(c -> {
      Admitted[] out = new Admitted[n];
      try (PreparedStatement ps = c.prepareStatement(ADMIT_BATCH)) {
        ps.setArray(1, c.createArrayOf("uuid", ids));
        ps.setArray(2, c.createArrayOf("text", dids));
        ps.setArray(3, c.createArrayOf("int8", tenants));
        ps.setArray(4, c.createArrayOf("text", remote));
        ps.setArray(5, c.createArrayOf("text", uniqueIds));
        ps.setArray(6, c.createArrayOf("text", channels));
        ps.setArray(7, c.createArrayOf("text", created));
        ps.setInt(8, globalMax);
        ps.setInt(9, holdSeconds);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long tenant = rs.getLong(3);
            Route route = rs.wasNull() ? null : new Route(rs.getObject(4, UUID.class), tenant, rs.getString(5),
                rs.getString(6), rs.getBoolean(7), rs.getString(8), rs.getString(9), rs.getBoolean(10));
            out[rs.getInt(1) - 1] = new Admitted(rs.getString(2), route);
          }
        }
      }
      for (int i = 0; i < n; i++) {
        if (out[i] == null) {
          throw new IllegalStateException("inbound_admit_batch gave no answer for call " + ids[i]);
        }
      }
      return List.of(out);
    });
  }

  /**
   * Ends many calls in one statement ({@code call_end_batch}): for each, empty when it is unknown or has already
   * ended (also when the same call is ended twice in one batch), else what {@link #endCall} returns.
   */
  List<Optional<Ended>> endCallBatch(List<EndAsk> asks) {
    int n = asks.size();
    UUID[] ids = new UUID[n];
    String[] outcomes = new String[n];
    String[] causes = new String[n];
    String[] files = new String[n];
    String[] at = new String[n];
    Boolean[] agent = new Boolean[n];
    for (int i = 0; i < n; i++) {
      EndAsk a = asks.get(i);
      ids[i] = a.callId();
      outcomes[i] = text(a.outcome());
      causes[i] = text(a.hangupCause());
      files[i] = text(a.recordingFile());
      at[i] = a.at().toString();
      agent[i] = a.agentLeg();
    }
    return dsl.connectionResult(c -> {
      List<Optional<Ended>> out = new ArrayList<>(java.util.Collections.nCopies(n, Optional.empty()));
      try (PreparedStatement ps = c.prepareStatement(END_BATCH)) {
        ps.setArray(1, c.createArrayOf("uuid", ids));
        ps.setArray(2, c.createArrayOf("text", outcomes));
        ps.setArray(3, c.createArrayOf("text", causes));
        ps.setArray(4, c.createArrayOf("text", files));
        ps.setArray(5, c.createArrayOf("text", at));
        ps.setArray(6, c.createArrayOf("boolean", agent));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.set(rs.getInt(1) - 1, Optional.of(new Ended(rs.getLong(2), rs.getString(3), rs.getString(4),
                rs.getString(5))));
          }
        }
      }
      return out;
    });
  }

  /** PostgreSQL text cannot hold NUL; Asterisk never sends one, but nothing from the wire may fail a batch. */
  private static String text(String s) {
    return s == null || s.indexOf('\0') < 0 ? s : s.replace("\0", "");
  }

  /**
   * Writes a call admitted while the database was unreachable. No slot: the call is already in progress and
   * was admitted without one. Returns false when the row already exists (a replay, or a request whose
   * database work finished after its deadline).
   */
  boolean insertAdmittedWhileDegraded(NewCall call) {
    return dsl.insertInto(CALL)
        .set(CALL.ID, call.id())
        .set(CALL.TENANT_ID, call.tenantId())
        .set(CALL.DIRECTION, "inbound")
        .set(CALL.DID_ID, call.didId())
        .set(CALL.REMOTE_NUMBER, call.remoteNumber())
        .set(CALL.ASTERISK_UNIQUEID, call.uniqueId())
        .set(CALL.ASTERISK_CHANNEL, call.channel())
        .set(CALL.CREATED_AT, call.createdAt())
        .onConflict(CALL.ID).doNothing()
        .execute() == 1;
  }

  /**
   * Ends the call and releases its slot, in one statement: a batch of one, so a single end (an abandoned answer,
   * a replayed pending end) and call-end's batches are the same SQL. Empty when the call is unknown or has
   * already ended: then nothing changes, so call-end may run any number of times.
   */
  Optional<Ended> endCall(UUID id, String outcome, String hangupCause, String recordingFile, OffsetDateTime at) {
    return endCall(new EndAsk(id, outcome, hangupCause, recordingFile, at));
  }

  Optional<Ended> endCall(EndAsk ask) {
    return endCallBatch(List.of(ask)).get(0);
  }

  Optional<Decision> decision(UUID callId) {
    return dsl.select(CALL.TENANT_ID, CALL.AGENT_DECISION, CALL.TRANSFER_TO, TENANT.TRANSFER_NUMBER,
            TENANT.VOICEMAIL_GREETING_SOUND)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new Decision(r.value1(), r.value2(), r.value3(), r.value4(), r.value5()));
  }

  /** The tenant's own voicemail greeting sound; empty when it has none (or there is no such tenant). */
  Optional<String> voicemailGreetingSound(long tenantId) {
    return dsl.select(TENANT.VOICEMAIL_GREETING_SOUND).from(TENANT).where(TENANT.ID.eq(tenantId))
        .fetchOptional(TENANT.VOICEMAIL_GREETING_SOUND);
  }

  /**
   * Stores the voicemail on the call, in one statement: the first report sets file, duration and time; a repeat
   * (the hangup handler after the dialplan's own report) changes nothing and returns what is stored. Empty when
   * there is no such call.
   */
  Optional<Voicemail> storeVoicemail(UUID callId, String file, Integer durationMs, OffsetDateTime at) {
    var unset = CALL.VOICEMAIL_FILE.isNull();
    return dsl.update(CALL)
        .set(CALL.VOICEMAIL_FILE, DSL.coalesce(CALL.VOICEMAIL_FILE, DSL.val(file)))
        .set(CALL.VOICEMAIL_DURATION_MS, DSL.when(unset, DSL.val(durationMs, CALL.VOICEMAIL_DURATION_MS))
            .otherwise(CALL.VOICEMAIL_DURATION_MS))
        .set(CALL.VOICEMAIL_AT, DSL.when(unset, DSL.val(at)).otherwise(CALL.VOICEMAIL_AT))
        .where(CALL.ID.eq(callId))
        .returning(CALL.TENANT_ID, CALL.VOICEMAIL_FILE)
        .fetchOptional(r -> new Voicemail(r.getTenantId(), r.getVoicemailFile()));
  }
}
