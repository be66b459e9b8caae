package io.asterline.agi;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admission control: whether a new call may start. The limits are enforced by the database (see
 * {@code admission_reserve} in V2__admission.sql, called for inbound calls by {@code inbound_admit_batch} in
 * V7__agi_batches.sql) so every node shares them; this node can additionally
 * stop admitting altogether with {@link #drain()} before a shutdown, which sends new calls to the
 * dialplan's fallback as OVER_CAPACITY while calls in progress finish.
 */
public final class Admission {

  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  private final AgiRepository repository;
  private final int maxCalls;
  private final int holdSeconds;
  private volatile boolean draining;

  Admission(AgiRepository repository, int maxCalls, Duration maxCallDuration) {
    this.repository = repository;
    this.maxCalls = maxCalls;
    this.holdSeconds = (int) maxCallDuration.toSeconds();
  }

  /** Stops admitting new calls on this node. Calls already admitted are not affected. */
  public void drain() {
    if (!draining) {
      draining = true;
      log.info("admission: draining, new calls go to the fallback");
    }
  }

  public boolean draining() {
    return draining;
  }

  /** The cluster-wide maximum of calls holding a slot (agi.max-calls). */
  int maxCalls() {
    return maxCalls;
  }

  /** How long a slot is held before the reaper may take it back (agi.max-call-duration). */
  int holdSeconds() {
    return holdSeconds;
  }

  /** Takes back the slots of calls whose end was never reported. */
  int reclaim() {
    int n = repository.reclaimExpiredSlots();
    if (n > 0) {
      log.warn("admission: reclaimed {} slot(s) of calls older than {} s whose end was never reported", n,
          holdSeconds);
    }
    return n;
  }
}
