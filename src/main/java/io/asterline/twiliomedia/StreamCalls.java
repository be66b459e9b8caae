package io.asterline.twiliomedia;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/** The call row a stream names in its {@code callId} parameter: whether it is a live Twilio call, and its tenant's. */
final class StreamCalls {

  /** What the transport checks a stream against, and whether the tenant records its calls. */
  record StreamCall(UUID id, long tenantId, String provider, String providerCallSid, String state,
      boolean recordingEnabled) {

    boolean ended() {
      return "ended".equals(state) || "failed".equals(state);
    }
  }

  private final DSLContext dsl;

  StreamCalls(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Blocking: from the transport's database executor. */
  Optional<StreamCall> find(UUID callId) {
    return dsl.select(CALL.ID, CALL.TENANT_ID, CALL.PROVIDER, CALL.PROVIDER_CALL_SID, CALL.STATE,
            TENANT.RECORDING_ENABLED)
        .from(CALL)
        .join(TENANT).on(TENANT.ID.eq(CALL.TENANT_ID))
        .where(CALL.ID.eq(callId))
        .fetchOptional(r -> new StreamCall(r.value1(), r.value2(), r.value3(), r.value4(), r.value5(),
            Boolean.TRUE.equals(r.value6())));
  }
}
