package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.call.CallRepository;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.Ended;
import io.asterline.call.Decision;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.Records;

/**
 * What the FastAGI scripts read and write: the DID -> tenant lookup, inbound call rows with their admission
 * slot, and the agent's decision; the call row's own steps (its end, its voicemail, a call admitted while the
 * database was down) are {@link CallRepository}'s. Every write is one statement, so it is atomic on its own and a
 * retry can never half-apply.
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
      io.asterline.call.Route inboundRoute,
      String transferNumber,
      boolean recordingEnabled) {

    boolean routable() {
      return didStatus == null || ROUTABLE_DID_STATUSES.contains(didStatus);
    }
  }

  /** What the agent left for after-agent, with the tenant's fallback and voicemail greeting. */
  record AgentDecision(long tenantId, Decision agentDecision, String transferTo, String tenantTransferNumber,
      String voicemailGreetingSound) {}

  /** One inbound request for {@link #admitInboundBatch}: a number to look up, or the dialplan's static tenant. */
  record InboundAsk(UUID callId, String did, Long staticTenant, String remoteNumber, String uniqueId, String channel,
      OffsetDateTime createdAt) {}

  /**
   * What {@code inbound_admit_batch} decided for one request; the route is null only for
   * {@link InboundVerdict#UNKNOWN}.
   */
  record Admitted(InboundVerdict verdict, Route route) {}

  private static final String ADMIT_BATCH = "SELECT ord, verdict, tenant_id, did_id, did_status, trunk, tenant_active,"
      + " inbound_route, transfer_number, recording_enabled"
      + " FROM inbound_admit_batch(?, ?, ?, ?, ?, ?, ?::timestamptz[], ?, ?)";

  private final DSLContext dsl;
  /** The call row's own writes (its end, its voicemail), which the scripts make through this repository. */
  private final CallRepository calls;

  AgiRepository(DSLContext dsl) {
    this.dsl = dsl;
    this.calls = new CallRepository(dsl);
  }

  CallRepository calls() {
    return calls;
  }

  /** Every number that takes calls now, for the last-known-good map. */
  List<DidCache.Entry> routableDids() {
    return dsl.select(DID.NUMBER, DID.ID, DID.TENANT_ID, DID.TRUNK, TENANT.RECORDING_ENABLED)
        .from(DID).join(TENANT).on(TENANT.ID.eq(DID.TENANT_ID))
        .where(DID.STATUS.in(ROUTABLE_DID_STATUSES)).and(TENANT.STATUS.eq("active"))
        .fetch(Records.mapping(DidCache.Entry::new));
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
      remote[i] = CallRepository.text(a.remoteNumber());
      uniqueIds[i] = CallRepository.text(a.uniqueId());
      channels[i] = CallRepository.text(a.channel());
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
                rs.getString(6), rs.getBoolean(7), io.asterline.call.Route.ofDbValue(rs.getString(8)), rs.getString(9), rs.getBoolean(10));
            out[rs.getInt(1) - 1] = new Admitted(InboundVerdict.of(rs.getString(2)), route);
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

  /** Ends one call: {@link CallRepository#ended(EndAsk)}. */
  Optional<Ended> endCall(EndAsk ask) {
    return calls.ended(ask);
  }

  Optional<AgentDecision> decision(UUID callId) {
    return dsl.select(CALL.TENANT_ID, CALL.AGENT_DECISION.convertFrom(d -> d == null ? null : Decision.ofDbValue(d)),
            CALL.TRANSFER_TO, TENANT.TRANSFER_NUMBER,
            TENANT.VOICEMAIL_GREETING_SOUND)
        .from(CALL).join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(Records.mapping(AgentDecision::new));
  }

  /** A tenant's recording-consent announcement and when it plays (before_recording | after_recording). */
  record Consent(String sound, String order) {}

  /** The tenant's consent announcement; empty when it has none (or there is no such tenant). */
  Optional<Consent> consent(long tenantId) {
    return dsl.select(TENANT.CONSENT_SOUND, TENANT.CONSENT_ORDER).from(TENANT)
        .where(TENANT.ID.eq(tenantId)).and(TENANT.CONSENT_SOUND.isNotNull())
        .fetchOptional(Records.mapping(Consent::new));
  }

  /** The tenant's own voicemail greeting sound; empty when it has none (or there is no such tenant). */
  Optional<String> voicemailGreetingSound(long tenantId) {
    return dsl.select(TENANT.VOICEMAIL_GREETING_SOUND).from(TENANT).where(TENANT.ID.eq(tenantId))
        .fetchOptional(TENANT.VOICEMAIL_GREETING_SOUND);
  }

}
