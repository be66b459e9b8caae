package io.asterline.admission;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.db.TestDatabase;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * The slots one call at a time, as outbound takes them (inbound takes them in batches: agi.AdmissionTest), against
 * the real database: what a refused caller of the API is told, and that every slot comes back.
 */
class AdmissionSlotsTest {

  private TestDatabase.Db db;

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh();
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  private long tenant(String name, int max) {
    return db.dsl().insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.MAX_CONCURRENT_CALLS, max)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  private int slots(long tenant) {
    return db.dsl().fetchCount(ADMISSION_SLOT, ADMISSION_SLOT.TENANT_ID.eq(tenant));
  }

  @Test
  void aTenantAtItsLimitIsRefusedUntilASlotIsReleased() {
    Admission admission = new Admission(db.dsl(), new AdmissionConfig(1000, Duration.ofHours(4)));
    long t = tenant("two", 2);
    UUID first = UUID.randomUUID();
    admission.reserve(t, first);
    admission.reserve(t, UUID.randomUUID());
    // a retry of a call that holds its slot takes no second one
    admission.reserve(t, first);
    assertThat(slots(t)).isEqualTo(2);
    assertThatThrownBy(() -> admission.reserve(t, UUID.randomUUID()))
        .isInstanceOf(AdmissionRefusedException.class)
        .hasMessage("tenant " + t + " is at its limit of 2 concurrent calls");

    admission.release(first);
    admission.release(first);
    assertThat(slots(t)).isEqualTo(1);
    admission.reserve(t, UUID.randomUUID());
    assertThat(slots(t)).isEqualTo(2);
  }

  @Test
  void theClusterLimitCountsEveryTenantAndNamesItsKey() {
    Admission admission = new Admission(db.dsl(), new AdmissionConfig(1, Duration.ofHours(4)));
    long a = tenant("a", 5);
    long b = tenant("b", 5);
    admission.reserve(a, UUID.randomUUID());
    assertThatThrownBy(() -> admission.reserve(b, UUID.randomUUID()))
        .isInstanceOf(AdmissionRefusedException.class)
        .hasMessage("the service is at its limit of 1 concurrent calls (admission.max-calls)");
    // the refused reservation left the tenant's count as it was
    assertThat(slots(b)).isZero();
    assertThat(db.dsl().fetchValue("select in_use from admission_tenant_usage where tenant_id = ?", b))
        .isEqualTo(0);
  }

  @Test
  void aSlotWhoseEndNeverCameIsReclaimed() {
    Admission admission = new Admission(db.dsl(), new AdmissionConfig(1000, Duration.ofHours(4)));
    long t = tenant("forgetful", 1);
    UUID lost = UUID.randomUUID();
    admission.reserve(t, lost);
    assertThat(admission.reclaim()).isZero();
    db.dsl().execute("UPDATE admission_slot SET taken_at = now() - interval '5 hours', "
        + "expires_at = now() - interval '1 hour' WHERE call_id = ?", lost);
    assertThat(admission.reclaim()).isEqualTo(1);
    assertThat(slots(t)).isZero();
    admission.reserve(t, UUID.randomUUID());
  }

  @Test
  void theSlotIsHeldForTheMaximumCallDuration() {
    Admission admission = new Admission(db.dsl(), new AdmissionConfig(1000, Duration.ofMinutes(90)));
    long t = tenant("held", 1);
    UUID call = UUID.randomUUID();
    admission.reserve(t, call);
    Long seconds = db.dsl().select(DSL.field("extract(epoch from expires_at - taken_at)::bigint", Long.class))
        .from(ADMISSION_SLOT).where(ADMISSION_SLOT.CALL_ID.eq(call)).fetchOne(0, Long.class);
    assertThat(seconds).isBetween(5399L, 5401L);
    assertThat(admission.holdSeconds()).isEqualTo(5400);
  }
}
