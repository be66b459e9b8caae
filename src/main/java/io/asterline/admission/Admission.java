package io.asterline.admission;

import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.db.generated.Routines;
import java.util.UUID;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a new call may start, for both directions. A call holds a slot from admission to its end: a tenant
 * may hold {@code tenant.max_concurrent_calls} of them and the cluster {@code admission.max-calls}. The limits
 * are enforced by PostgreSQL ({@code admission_reserve} in V2__admission.sql) so every node shares them and two
 * nodes cannot both take the last slot; inbound calls reserve inside {@code inbound_admit_batch}
 * (V7__agi_batches.sql) with this object's {@link #maxCalls()} and {@link #holdSeconds()}, outbound calls through
 * {@link #reserve}. call-end releases the slot however a call ends; {@link #reclaim} takes back the slots of calls
 * whose end was never reported.
 *
 * <p>{@link #drain()} stops this node admitting in both directions before a shutdown: inbound answers
 * OVER_CAPACITY (the dialplan's fallback) and outbound refuses new calls, while calls in progress finish.
 */
public final class Admission {

  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  private final DSLContext dsl;
  private final AdmissionConfig config;
  private volatile boolean draining;

  public Admission(DSLContext dsl, AdmissionConfig config) {
    this.dsl = dsl;
    this.config = config;
  }

  /**
   * Reserves a slot for a call about to start; holding one already (a retry) counts as reserved.
   *
   * @throws AdmissionRefusedException when the tenant or the cluster is at its limit
   */
  public void reserve(long tenantId, UUID callId) {
    String verdict = dsl.select(Routines.admissionReserve(callId, tenantId, config.maxCalls(), config.holdSeconds()))
        .fetchOne(0, String.class);
    switch (Verdict.of(verdict)) {
      case OK, HELD -> { }
      case TENANT_FULL -> throw new AdmissionRefusedException("tenant " + tenantId + " is at its limit of "
          + dsl.select(TENANT.MAX_CONCURRENT_CALLS).from(TENANT).where(TENANT.ID.eq(tenantId)).fetchOne(0)
          + " concurrent calls");
      case GLOBAL_FULL -> throw new AdmissionRefusedException("the service is at its limit of " + config.maxCalls()
          + " concurrent calls (" + AdmissionConfig.MAX_CALLS.name() + ")");
    }
  }

  /** Frees the call's slot; harmless when it holds none (already released, reclaimed, or never reserved). */
  public void release(UUID callId) {
    dsl.select(Routines.admissionRelease(callId)).fetch();
  }

  /** Takes back the slots of calls whose end was never reported within admission.max-call-duration. */
  public int reclaim() {
    Integer n = dsl.select(Routines.admissionReclaim()).fetchOne(0, Integer.class);
    int reclaimed = n == null ? 0 : n;
    if (reclaimed > 0) {
      log.warn("admission: reclaimed {} slot(s) of calls older than {} s whose end was never reported", reclaimed,
          config.holdSeconds());
    }
    return reclaimed;
  }

  /** Stops admitting new calls on this node, in both directions. Calls already admitted are not affected. */
  public void drain() {
    if (!draining) {
      draining = true;
      log.info("admission: draining, new calls go to the fallback");
    }
  }

  public boolean draining() {
    return draining;
  }

  /** The cluster-wide maximum of calls holding a slot (admission.max-calls), for the inbound batch's SQL. */
  public int maxCalls() {
    return config.maxCalls();
  }

  /** How long a slot is held before {@link #reclaim} may take it back (admission.max-call-duration), in seconds. */
  public int holdSeconds() {
    return config.holdSeconds();
  }

  public AdmissionConfig config() {
    return config;
  }
}
