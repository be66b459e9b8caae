package io.asterline.outbound;

import io.asterline.did.Did;
import io.asterline.did.DidService;
import io.asterline.error.InvalidInputException;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Outbound calls pick their caller ID through the DID feature's rotation, the same pick
 * {@code /api/asterisk-dids/next-available-by-segment} makes: the named DID, else least-used rotation in the
 * segment, else over all the tenant's usable numbers, with daily caps, cooldowns and local presence.
 */
public final class DidCallerIds implements CallerIdSelector {

  private final DidService dids;

  public DidCallerIds(DidService dids) {
    this.dids = dids;
  }

  @Override
  public SelectedDid select(long tenantId, Optional<UUID> didId, Optional<String> segment, Optional<String> callee,
      Optional<Long> lead) {
    return select(tenantId, didId, segment, callee, lead, false);
  }

  @Override
  public SelectedDid selectTwilio(long tenantId, Optional<UUID> didId, Optional<String> segment,
      Optional<String> callee, Optional<Long> lead) {
    return select(tenantId, didId, segment, callee, lead, true);
  }

  private SelectedDid select(long tenantId, Optional<UUID> didId, Optional<String> segment, Optional<String> callee,
      Optional<Long> lead, boolean twilio) {
    Optional<Did> picked;
    try {
      picked = dids.selectCallerId(tenantId, didId, segment, callee, lead, twilio);
    } catch (InvalidInputException e) {
      throw new CallerIdException(CallerIdException.Field.DID_ID, e.getMessage());
    }
    if (picked.isEmpty()) {
      // the rare path: say precisely what is wrong, so the caller can fix the request
      if (didId.isPresent()) {
        Optional<Did> named = dids.find(didId.get(), OptionalLong.of(tenantId));
        if (twilio && named.isPresent() && Did.USABLE.contains(named.get().status())) {
          throw new CallerIdException(CallerIdException.Field.DID_ID, "DID " + didId.get() + " is not a Twilio"
              + " number (dids import twilio): a call placed through Twilio can only present one of the account's");
        }
        String status = named.map(Did::status).orElse("unknown");
        throw new CallerIdException(CallerIdException.Field.DID_ID,
            "DID " + didId.get() + " is " + status + ": only active or available numbers can call");
      }
      if (segment.isPresent()) {
        if (!dids.segments(OptionalLong.of(tenantId)).contains(segment.get())) {
          throw new CallerIdException(CallerIdException.Field.DID_SEGMENT, "no such segment " + segment.get());
        }
        throw new CallerIdException(CallerIdException.Field.DID_SEGMENT, "segment " + segment.get()
            + (twilio ? " has no active or available Twilio number free now (none imported by dids import twilio,"
                + " or every one inactive, quarantined, capped or cooling down)"
                : " has no active or available DID free now (every number inactive, quarantined, capped or cooling down)"));
      }
      throw new CallerIdException(CallerIdException.Field.NONE,
          twilio ? "the tenant has no usable Twilio number to call from (none imported by dids import twilio, or"
              + " every one inactive, quarantined, capped or cooling down)"
              : "the tenant has no usable number to call from (none active, or every number quarantined, capped or cooling down)");
    }
    Did d = picked.get();
    return new SelectedDid(d.id(), d.number(), d.segment(), d.trunk());
  }

  @Override
  public void check(long tenantId, Optional<UUID> didId, Optional<String> segment) {
    if (didId.isPresent() && dids.find(didId.get(), OptionalLong.of(tenantId)).isEmpty()) {
      // another tenant's DID reads as missing: its existence is not confirmed
      throw new CallerIdException(CallerIdException.Field.DID_ID, "no DID " + didId.get() + " for this tenant");
    }
    if (segment.isPresent()) {
      java.util.List<String> known = dids.segments(OptionalLong.of(tenantId));
      if (!known.contains(segment.get())) {
        throw new CallerIdException(CallerIdException.Field.DID_SEGMENT, "no such segment " + segment.get()
            + (known.isEmpty() ? "; the tenant has no numbers yet" : "; the tenant's segments: "
                + String.join(", ", known)));
      }
    }
  }

  @Override
  public void undo(SelectedDid did) {
    dids.giveBack(did.id());
  }
}
