package io.asterline.admission;

/**
 * What {@code admission_reserve} (V2__admission.sql) answers for one call. {@code inbound_admit_batch}
 * (V7__agi_batches.sql) answers the last two for an inbound call refused for lack of a slot, and stores them
 * lower-case as the call's outcome.
 */
public enum Verdict {
  /** A slot is now held for the call. */
  OK,
  /** The call already held a slot (a retry): nothing more was taken. */
  HELD,
  /** The tenant holds its max_concurrent_calls slots. */
  TENANT_FULL,
  /** The cluster holds admission.max-calls slots. */
  GLOBAL_FULL;

  /** The verdict the SQL function answered; an answer this code does not know is a bug, not a refusal. */
  static Verdict of(String answer) {
    for (Verdict v : values()) {
      if (v.name().equals(answer)) {
        return v;
      }
    }
    throw new IllegalStateException("admission_reserve answered " + answer);
  }
}
