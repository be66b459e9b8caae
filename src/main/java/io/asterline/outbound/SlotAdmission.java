package io.asterline.outbound;

import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.db.generated.Routines;
import java.time.Duration;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * Outbound calls take their slot from the same store inbound calls do ({@code admission_reserve} in
 * V2__admission.sql), so a tenant's max_concurrent_calls and the cluster's agi.max-calls count both
 * directions. call-end releases the slot however the call ends; a failed originate releases it here.
 */
public final class SlotAdmission implements Admission {

  private final DSLContext dsl;
  private final int globalMax;
  private final int holdSeconds;

  public SlotAdmission(DSLContext dsl, int globalMax, Duration maxCallDuration) {
    this.dsl = dsl;
    this.globalMax = globalMax;
    this.holdSeconds = (int) maxCallDuration.toSeconds();
  }

  @Override
  public void reserve(long tenantId, UUID callId) {
    String verdict = dsl.select(Routines.admissionReserve(callId, tenantId, globalMax, holdSeconds))
        .fetchOne(0, String.class);
    switch (verdict) {
      case "OK", "HELD" -> { }
      case "TENANT_FULL" -> throw new AdmissionRefusedException("tenant " + tenantId + " is at its limit of "
          + dsl.select(TENANT.MAX_CONCURRENT_CALLS).from(TENANT).where(TENANT.ID.eq(tenantId)).fetchOne(0)
          + " concurrent calls");
      case "GLOBAL_FULL" -> throw new AdmissionRefusedException(
          "the service is at its limit of " + globalMax + " concurrent calls (agi.max-calls)");
      default -> throw new IllegalStateException("admission_reserve answered " + verdict);
    }
  }

  @Override
  public void release(UUID callId) {
    dsl.select(Routines.admissionRelease(callId)).fetch();
  }
}
