package io.asterline.outbound;

import static io.asterline.db.generated.Tables.DID;
import static org.jooq.impl.DSL.currentOffsetDateTime;
import static org.jooq.impl.DSL.noCondition;
import org.jooq.impl.DSL;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record4;
import org.jooq.SelectForUpdateWaitStep;
import org.jooq.Record1;

/**
 * PLACEHOLDER for the DID feature's {@code DidService.selectCallerId} (issue 5), good enough to place calls
 * until it lands: the same priority (didId, then segment rotation, then default rotation over all the
 * tenant's usable DIDs), each pick one {@code UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)}.
 * Delete this class when wiring the real service behind {@link CallerIdSelector}.
 */
public final class SqlCallerIdSelector implements CallerIdSelector {

  private static final List<String> USABLE = List.of("active", "available");

  private final DSLContext dsl;

  public SqlCallerIdSelector(DSLContext dsl) {
    this.dsl = dsl;
  }

  @Override
  public SelectedDid select(long tenantId, Optional<UUID> didId, Optional<String> segment, Optional<String> callee) {
    if (didId.isPresent()) {
      return use(DID.ID.eq(didId.get()).and(DID.TENANT_ID.eq(tenantId)).and(DID.STATUS.in(USABLE)))
          .orElseThrow(() -> unusableDid(tenantId, didId.get()));
    }
    Condition pool = DID.TENANT_ID.eq(tenantId).and(DID.STATUS.in(USABLE))
        .and(segment.map(DID.SEGMENT::eq).orElse(noCondition()));
    Optional<SelectedDid> picked = rotate(pool, true);
    if (picked.isEmpty()) {
      // SKIP LOCKED finds nothing when every number of a small pool is being picked right now: wait instead
      picked = rotate(pool, false);
    }
    return picked.orElseThrow(() -> segment.isPresent()
        ? unusableSegment(tenantId, segment.get())
        : new CallerIdException(CallerIdException.Field.NONE,
            "the tenant has no active DID to call from; add one or name did_id"));
  }

  @Override
  public void undo(SelectedDid did) {
    dsl.update(DID)
        .set(DID.USAGE_COUNT, DID.USAGE_COUNT.minus(1))
        .where(DID.ID.eq(did.id())).and(DID.USAGE_COUNT.gt(0L))
        .execute();
  }

  private Optional<SelectedDid> rotate(Condition pool, boolean skipLocked) {
    SelectForUpdateWaitStep<Record1<UUID>> leastUsed = DSL.select(DID.ID).from(DID).where(pool)
        .orderBy(DID.USAGE_COUNT, DID.LAST_USED_AT.asc().nullsFirst(), DID.ID)
        .limit(1)
        .forUpdate();
    return use(DID.ID.eq(skipLocked ? leastUsed.skipLocked() : leastUsed));
  }

  private Optional<SelectedDid> use(Condition which) {
    return dsl.update(DID)
        .set(DID.USAGE_COUNT, DID.USAGE_COUNT.plus(1))
        .set(DID.LAST_USED_AT, currentOffsetDateTime())
        .where(which)
        .returningResult(DID.ID, DID.NUMBER, DID.SEGMENT, DID.TRUNK)
        .fetchOptional()
        .map(SqlCallerIdSelector::selected);
  }

  private static SelectedDid selected(Record4<UUID, String, String, String> r) {
    return new SelectedDid(r.value1(), r.value2(), r.value3(), r.value4());
  }

  private CallerIdException unusableDid(long tenantId, UUID id) {
    Optional<String> status = dsl.select(DID.STATUS).from(DID)
        .where(DID.ID.eq(id)).and(DID.TENANT_ID.eq(tenantId))
        .fetchOptional(DID.STATUS);
    return new CallerIdException(CallerIdException.Field.DID_ID, status
        .map(s -> "did_id " + id + " is " + s + ", not usable as caller ID (needs active or available)")
        .orElse("did_id " + id + ": no such DID for this tenant"));
  }

  private CallerIdException unusableSegment(long tenantId, String segment) {
    boolean exists = dsl.fetchExists(DID, DID.TENANT_ID.eq(tenantId).and(DID.SEGMENT.eq(segment)));
    return new CallerIdException(CallerIdException.Field.DID_SEGMENT, exists
        ? "did_segment " + segment + " has no active or available DID"
        : "did_segment " + segment + ": no such segment for this tenant");
  }
}
