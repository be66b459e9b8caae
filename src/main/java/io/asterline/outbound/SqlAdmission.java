package io.asterline.outbound;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.OUTBOUND_SLOT;
import static io.asterline.db.generated.Tables.TENANT;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.select;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record3;
import org.jooq.impl.DSL;

/**
 * PLACEHOLDER for the admission slot store (issue 3, migration V2), so outbound calls respect the limits until
 * it lands: slots live in {@code outbound_slot} (migration V6). A slot counts while its call is not over, so a
 * call ended by call-end (which does not know this table) stops counting without a delete. Delete this class
 * and the table when wiring the real slot store behind {@link Admission}.
 */
public final class SqlAdmission implements Admission {

  /** Arbitrary advisory-lock key serialising reservations, so each count sees every earlier reservation. */
  private static final long LOCK_KEY = 0x6f7574626f756e64L;
  private static final List<String> OVER = List.of("ended", "failed");

  private final DSLContext dsl;
  private final int globalMax;

  public SqlAdmission(DSLContext dsl, int globalMax) {
    this.dsl = dsl;
    this.globalMax = globalMax;
  }

  @Override
  public void reserve(long tenantId, UUID callId) {
    dsl.transaction(tx -> {
      DSLContext t = tx.dsl();
      // two statements on purpose: under READ COMMITTED a statement that waited for a lock still counts with
      // the snapshot it started with, so the count must start after the lock is held
      t.select(field("pg_advisory_xact_lock({0})", Object.class, DSL.val(LOCK_KEY))).fetch();
      Condition counts = CALL.ID.isNull()
          // a reservation whose call row never came (the node died in between) stops counting after a minute
          .and(OUTBOUND_SLOT.RESERVED_AT.gt(field("now() - interval '1 minute'", OffsetDateTime.class)))
          .or(CALL.STATE.notIn(OVER));
      Field<Integer> tenantMax = select(TENANT.MAX_CONCURRENT_CALLS).from(TENANT).where(TENANT.ID.eq(tenantId))
          .asField();
      Record3<Integer, Integer, Integer> r = t.select(
              count().filterWhere(OUTBOUND_SLOT.TENANT_ID.eq(tenantId)),
              count(),
              tenantMax)
          .from(OUTBOUND_SLOT).leftJoin(CALL).on(CALL.ID.eq(OUTBOUND_SLOT.CALL_ID))
          .where(counts)
          .fetchOne();
      int tenantActive = r.value1();
      int allActive = r.value2();
      int max = r.value3() == null ? 0 : r.value3();
      if (tenantActive >= max) {
        throw new AdmissionRefusedException("tenant " + tenantId + " is at its limit of " + max
            + " concurrent calls");
      }
      if (allActive >= globalMax) {
        throw new AdmissionRefusedException("the service is at its limit of " + globalMax
            + " concurrent outbound calls (outbound.max-concurrent-calls)");
      }
      t.insertInto(OUTBOUND_SLOT)
          .set(OUTBOUND_SLOT.CALL_ID, callId)
          .set(OUTBOUND_SLOT.TENANT_ID, tenantId)
          .execute();
    });
  }

  @Override
  public void release(UUID callId) {
    dsl.deleteFrom(OUTBOUND_SLOT).where(OUTBOUND_SLOT.CALL_ID.eq(callId)).execute();
  }
}
