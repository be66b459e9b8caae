package io.asterline.outbound;

import java.util.Optional;
import java.util.UUID;

/**
 * Picks the DID an outbound call presents as its caller ID, and counts its use.
 *
 * <p>Priority: the DID named by {@code didId}; else the least-used DID of {@code segment} (rotation); else the
 * least-used DID of the tenant (default rotation). Each pick is one atomic statement, so concurrent calls rotate
 * instead of all taking the same number.
 */
public interface CallerIdSelector {

  /**
   * @param callee the number about to be dialled, for selectors that prefer a local presence (may be ignored)
   * @throws CallerIdException when the DID or segment is unknown, not the tenant's, or has no usable number
   */
  default SelectedDid select(long tenantId, Optional<UUID> didId, Optional<String> segment, Optional<String> callee) {
    return select(tenantId, didId, segment, callee, Optional.empty());
  }

  /**
   * As {@link #select(long, Optional, Optional, Optional)}, for a call to {@code lead}: its last call's caller ID
   * again while that number is still usable (sticky), so the callee sees one number across retries.
   */
  SelectedDid select(long tenantId, Optional<UUID> didId, Optional<String> segment, Optional<String> callee,
      Optional<Long> lead);

  /**
   * As {@link #select(long, Optional, Optional, Optional, Optional)}, for a call placed through Twilio's REST API:
   * only numbers Twilio holds (imported by {@code dids import twilio}) may be its From.
   *
   * @throws CallerIdException also when the named DID is not a Twilio number, or the pool has none usable
   */
  default SelectedDid selectTwilio(long tenantId, Optional<UUID> didId, Optional<String> segment,
      Optional<String> callee, Optional<Long> lead) {
    throw new CallerIdException(CallerIdException.Field.NONE, "this caller-ID selector has no Twilio numbers");
  }

  /**
   * Checks, without taking anything, that the named DID and segment exist for the tenant: a request naming
   * another tenant's DID or an unknown segment is wrong whatever state Asterisk is in, and a journey is checked
   * when it is saved rather than when it runs.
   *
   * @throws CallerIdException naming the DID or segment that does not exist
   */
  void check(long tenantId, Optional<UUID> didId, Optional<String> segment);

  /**
   * Gives back the use {@link #select} counted, for a call that never left (AMI down, originate refused).
   * Called at most once per pick.
   */
  void undo(SelectedDid did);
}
