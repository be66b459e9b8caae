package io.asterline.outbound;

import java.util.UUID;

/**
 * Concurrency slots: a call may start only while its tenant is under {@code tenant.max_concurrent_calls} and
 * the service under its global limit. Reserving is atomic across nodes (PostgreSQL), so two nodes cannot both
 * take the last slot.
 */
public interface Admission {

  /**
   * Reserves a slot for the call about to be placed.
   *
   * @throws AdmissionRefusedException when the tenant or the service is at its limit
   */
  void reserve(long tenantId, UUID callId);

  /** Frees the call's slot; harmless when it holds none (already released, or never reserved). */
  void release(UUID callId);
}
