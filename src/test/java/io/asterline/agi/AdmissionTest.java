package io.asterline.agi;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.CALL;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Admission slots under real concurrency, through the real server and the real database. */
class AdmissionTest {

  private static AgiFixture fx;
  private static ExecutorService callers;

  @BeforeAll
  static void start() throws Exception {
    // the deadline is generous here: this test is about atomicity, and a loaded CI box must not turn a slow
    // answer into DEGRADED (which admits without a slot)
    fx = new AgiFixture(Map.of("agi.db-deadline", "30s", "admission.max-calls", "1000"));
    callers = Executors.newFixedThreadPool(200, r -> new Thread(r, "fake-asterisk"));
  }

  @AfterAll
  static void stop() {
    callers.shutdownNow();
    fx.close();
  }

  @Test
  void twoHundredSimultaneousCallsForATenantOfFiftyAdmitExactlyFifty() throws Exception {
    long tenant = fx.tenant("fifty", 50);
    fx.did(tenant, "+15550500050");

    List<FakeAsterisk.Exchange> first = burst(200, "+15550500050");
    List<String> admitted = admittedCallIds(first);
    assertThat(admitted).hasSize(50);
    assertThat(first).filteredOn(x -> x.status().equals("OVER_CAPACITY")).hasSize(150);
    assertThat(fx.slotsInUse(tenant)).isEqualTo(50);
    assertThat(fx.dsl().fetchCount(ADMISSION_SLOT, ADMISSION_SLOT.TENANT_ID.eq(tenant))).isEqualTo(50);
    // refused calls are kept, failed, for reports
    assertThat(fx.dsl().fetchCount(CALL, CALL.TENANT_ID.eq(tenant).and(CALL.OUTCOME.eq("tenant_full")))).isEqualTo(150);

    List<Future<FakeAsterisk.Exchange>> ends = new ArrayList<>();
    for (String id : admitted) {
      ends.add(callers.submit(() -> fx.callEnd(id)));
    }
    for (Future<FakeAsterisk.Exchange> end : ends) {
      assertThat(end.get().status()).isEqualTo("OK");
    }
    assertThat(fx.slotsInUse(tenant)).isZero();

    List<FakeAsterisk.Exchange> second = burst(200, "+15550500050");
    assertThat(admittedCallIds(second)).hasSize(50);
    assertThat(second).filteredOn(x -> x.status().equals("OVER_CAPACITY")).hasSize(150);
    admittedCallIds(second).forEach(id -> {
      try {
        fx.callEnd(id);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertThat(fx.totalInUse()).isEqualTo(fx.slotRows());
  }

  @Test
  void theClusterMaximumHoldsAcrossTenants() throws Exception {
    try (AgiFixture small = new AgiFixture(Map.of("agi.db-deadline", "30s", "admission.max-calls", "3"))) {
      long a = small.tenant("a", 10);
      long b = small.tenant("b", 10);
      small.did(a, "+15550000101");
      small.did(b, "+15550000202");
      assertThat(small.inbound("+15550000101").status()).isEqualTo("OK");
      assertThat(small.inbound("+15550000202").status()).isEqualTo("OK");
      String third = small.inbound("+15550000101").get("ASTERLINE_CALL_ID");
      FakeAsterisk.Exchange fourth = small.inbound("+15550000202");
      assertThat(fourth.status()).isEqualTo("OVER_CAPACITY");
      assertThat(small.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(java.util.UUID.fromString(fourth.get("ASTERLINE_CALL_ID")))))
          .isEqualTo("global_full");
      // the tenant's count was not left raised by the refused global reservation
      assertThat(small.slotsInUse(b)).isEqualTo(1);
      small.callEnd(third);
      assertThat(small.inbound("+15550000202").status()).isEqualTo("OK");
    }
  }

  @Test
  void aSlotWhoseEndWasNeverReportedIsReclaimedAfterTheMaximumDuration() throws Exception {
    long tenant = fx.tenant("forgetful", 1);
    fx.did(tenant, "+15550600060");
    String lost = fx.inbound("+15550600060").get("ASTERLINE_CALL_ID");
    assertThat(fx.inbound("+15550600060").status()).isEqualTo("OVER_CAPACITY");

    assertThat(fx.agi.reclaim()).isZero();
    fx.dsl().execute("UPDATE admission_slot SET taken_at = now() - interval '5 hours', "
        + "expires_at = now() - interval '1 hour' WHERE call_id = ?::uuid", lost);
    assertThat(fx.agi.reclaim()).isEqualTo(1);
    assertThat(fx.slotsInUse(tenant)).isZero();
    assertThat(fx.inbound("+15550600060").status()).isEqualTo("OK");
    // the late call-end of the reclaimed call still ends its row, and does not free anyone else's slot
    assertThat(fx.callEnd(lost).status()).isEqualTo("OK");
    assertThat(fx.slotsInUse(tenant)).isEqualTo(1);
  }

  private static List<FakeAsterisk.Exchange> burst(int n, String did) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<FakeAsterisk.Exchange>> futures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Callable<FakeAsterisk.Exchange> call = () -> {
        go.await();
        return fx.inbound(did);
      };
      futures.add(callers.submit(call));
    }
    go.countDown();
    List<FakeAsterisk.Exchange> out = new ArrayList<>();
    for (Future<FakeAsterisk.Exchange> f : futures) {
      out.add(f.get());
    }
    return out;
  }

  private static List<String> admittedCallIds(List<FakeAsterisk.Exchange> exchanges) {
    return exchanges.stream().filter(x -> x.status().equals("OK")).map(x -> x.get("ASTERLINE_CALL_ID")).toList();
  }
}
