package io.asterline.agi;

/**
 * What {@code inbound_admit_batch} (V7__agi_batches.sql) decides for one inbound request. The last two are
 * {@code admission_reserve}'s refusals, which the function also stores lower-case as the call's outcome.
 */
enum InboundVerdict {
  /** Admitted: a slot is held and the call row is written. */
  OK,
  /** No such number (or static tenant). */
  UNKNOWN,
  /** The number exists but is not in service. */
  NOT_ROUTABLE,
  /** The number's tenant is disabled. */
  TENANT_DISABLED,
  /** The tenant's inbound route rejects calls: no slot is taken. */
  REJECT,
  /** The tenant holds its max_concurrent_calls slots. */
  TENANT_FULL,
  /** The cluster holds admission.max-calls slots. */
  GLOBAL_FULL;

  /** The verdict the SQL function answered; an answer this code does not know is a bug, not a refusal. */
  static InboundVerdict of(String answer) {
    for (InboundVerdict v : values()) {
      if (v.name().equals(answer)) {
        return v;
      }
    }
    throw new IllegalStateException("inbound_admit_batch answered " + answer);
  }
}
