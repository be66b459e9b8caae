package io.asterline.did;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Number health on a known call history: figures, automatic quarantine and its end, pin and release. */
class NumberHealthTest {

  /** 20 calls to judge, answer rate at least 20%, at most half the answered calls under 12 s, 1 h cool-off. */
  private static final DidConfig.Health HEALTH = new DidConfig.Health(Duration.ZERO, Duration.ofDays(7),
      Duration.ofSeconds(12), 20, 0.20, 0.50, 1.0, Duration.ofHours(1));

  private TestDatabase.Db db;
  private DSLContext dsl;
  private long tenant;
  private NumberHealth health;
  private DidService dids;

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(20);
    dsl = db.dsl();
    tenant = DidFixtures.tenant(dsl, "acme");
    health = new NumberHealth(dsl, HEALTH, OptionalInt.empty());
    dids = DidFixtures.service(dsl);
  }

  @AfterEach
  void tearDown() {
    health.close();
    db.close();
  }

  @Test
  void aKnownHistoryQuarantinesTheBadNumbersAndTheCoolOffBringsThemBack() {
    UUID good = DidFixtures.did(dsl, tenant, "+14155550001", "main");
    UUID unanswered = DidFixtures.did(dsl, tenant, "+14155550002", "main");
    UUID hungUpOn = DidFixtures.did(dsl, tenant, "+14155550003", "main");
    UUID tooFew = DidFixtures.did(dsl, tenant, "+14155550004", "main");
    UUID longAgo = DidFixtures.did(dsl, tenant, "+14155550005", "main");
    UUID pinned = DidFixtures.did(dsl, tenant, "+14155550006", "main");
    // good: 30 calls, 12 answered (40%), 3 of them short (25%)
    history(good, 30, 12, 3, Duration.ofHours(2));
    // unanswered: 25 calls, 4 answered (16% < 20%), none short
    history(unanswered, 25, 4, 0, Duration.ofHours(2));
    // hung up on: 20 calls, 10 answered (50%), 6 under 12 s (60% > 50%)
    history(hungUpOn, 20, 10, 6, Duration.ofHours(2));
    // as bad as it gets, but 19 calls: too few to judge
    history(tooFew, 19, 0, 0, Duration.ofHours(2));
    // as bad, 40 calls, but 8 days ago: out of the window
    history(longAgo, 40, 0, 0, Duration.ofDays(8));
    // as bad as unanswered, and pinned by an operator
    history(pinned, 25, 2, 0, Duration.ofHours(2));
    assertThat(dids.setHealth(pinned, OptionalLong.of(tenant), true, false)).isPresent();

    List<NumberHealth.Change> changes = health.evaluate();

    assertThat(changes).extracting(NumberHealth.Change::didId).containsExactlyInAnyOrder(unanswered, hungUpOn);
    Did u = dids.find(unanswered, OptionalLong.of(tenant)).orElseThrow();
    assertThat(u.quarantineReason()).isEqualTo("answer rate 16.0% (4 of 25 calls) below 20.0%");
    assertThat(u.quarantinedUntil()).isBetween(OffsetDateTime.now().plusMinutes(59), OffsetDateTime.now().plusMinutes(61));
    assertThat(u.status()).as("the operator's status is left alone").isEqualTo("active");
    assertThat(dids.find(hungUpOn, OptionalLong.of(tenant)).orElseThrow().quarantineReason())
        .isEqualTo("short calls 60.0% (6 of 10 answered under 12 s) above 50.0%");
    for (UUID ok : List.of(good, tooFew, longAgo, pinned)) {
      assertThat(dids.find(ok, OptionalLong.of(tenant)).orElseThrow().quarantinedUntil()).as(ok.toString()).isNull();
    }
    assertThat(health.evaluate()).as("a second run (another node) changes nothing").isEmpty();

    // the figures, as the API shows them
    NumberHealth.DidHealth g = health.one(good, OptionalLong.of(tenant)).orElseThrow();
    assertThat(g.figures().calls()).isEqualTo(30);
    assertThat(g.figures().answerRate()).isEqualTo(0.4);
    assertThat(g.figures().shortCallRatio()).isEqualTo(0.25);
    assertThat(g.figures().failures()).isEqualTo(Map.of("no_answer", 18L));
    assertThat(g.health()).isEqualTo("ok");
    assertThat(g.destinations()).extracting(NumberHealth.Destination::destination)
        .containsExactly("+1 212", "+44");
    assertThat(g.destinations().get(0).figures().calls() + g.destinations().get(1).figures().calls()).isEqualTo(30);
    assertThat(health.one(unanswered, OptionalLong.of(tenant)).orElseThrow().health()).isEqualTo("quarantined");
    assertThat(health.one(pinned, OptionalLong.of(tenant)).orElseThrow().health()).isEqualTo("pinned");

    // rotation takes only the healthy numbers
    Set<UUID> picked = new java.util.HashSet<>();
    for (int i = 0; i < 12; i++) {
      picked.add(dids.selectCallerId(tenant, Optional.empty(), Optional.of("main"), Optional.empty()).orElseThrow().id());
    }
    assertThat(picked).containsExactlyInAnyOrder(good, tooFew, longAgo, pinned);

    // an hour later the cool-off is over: rotation takes them again at once, the evaluation clears them and
    // forgets the calls that put them there
    dsl.update(DID).set(DID.QUARANTINED_UNTIL, OffsetDateTime.now().minusSeconds(1))
        .set(DID.QUARANTINED_AT, OffsetDateTime.now().minusHours(1))
        .where(DID.ID.in(unanswered, hungUpOn)).execute();
    assertThat(dids.next(tenant, Optional.of("main"), Optional.empty(), true)).isPresent();
    List<NumberHealth.Change> back = health.evaluate();
    assertThat(back).extracting(NumberHealth.Change::didId).containsExactlyInAnyOrder(unanswered, hungUpOn);
    assertThat(back).allSatisfy(c -> assertThat(c.quarantined()).isFalse());
    Did restored = dids.find(unanswered, OptionalLong.of(tenant)).orElseThrow();
    assertThat(restored.quarantinedUntil()).isNull();
    assertThat(restored.quarantineReason()).isNull();
    assertThat(health.evaluate()).as("the old calls no longer count").isEmpty();
    picked.clear();
    for (int i = 0; i < 30; i++) {
      picked.add(dids.selectCallerId(tenant, Optional.empty(), Optional.of("main"), Optional.empty()).orElseThrow().id());
    }
    assertThat(picked).contains(unanswered, hungUpOn);
  }

  @Test
  void aPinnedNumberIsNeverQuarantinedAndReleaseEndsAQuarantineAtOnce() {
    UUID pinned = DidFixtures.did(dsl, tenant, "+14155550011", "main");
    UUID bad = DidFixtures.did(dsl, tenant, "+14155550012", "main");
    history(pinned, 40, 0, 0, Duration.ofHours(1));
    history(bad, 40, 0, 0, Duration.ofHours(1));
    dids.setHealth(pinned, OptionalLong.of(tenant), true, false);

    assertThat(health.evaluate()).extracting(NumberHealth.Change::didId).containsExactly(bad);
    assertThat(dids.find(pinned, OptionalLong.of(tenant)).orElseThrow().healthPinned()).isTrue();
    assertThat(dids.next(tenant, Optional.of("main"), Optional.empty(), true).orElseThrow().id()).isEqualTo(pinned);

    // pinning a quarantined number ends the quarantine too
    Did pinnedNow = dids.setHealth(bad, OptionalLong.of(tenant), true, false).orElseThrow();
    assertThat(pinnedNow.quarantinedUntil()).isNull();
    assertThat(health.evaluate()).isEmpty();
    // unpinned, the same history judges it again
    dids.setHealth(bad, OptionalLong.of(tenant), false, false);
    assertThat(health.evaluate()).extracting(NumberHealth.Change::didId).containsExactly(bad);

    // release: back in rotation now, judged on calls from now on
    Did released = dids.setHealth(bad, OptionalLong.of(tenant), null, true).orElseThrow();
    assertThat(released.quarantinedUntil()).isNull();
    assertThat(released.quarantineReason()).isNull();
    assertThat(health.evaluate()).isEmpty();
    assertThat(health.one(bad, OptionalLong.of(tenant)).orElseThrow().figures().calls()).isZero();
    // another tenant cannot release or pin it
    long other = DidFixtures.tenant(dsl, "globex");
    assertThat(dids.setHealth(bad, OptionalLong.of(other), null, true)).isEmpty();
  }

  @Test
  void concurrentPicksNeverTakeAQuarantinedNumberAndCountEveryUse() throws Exception {
    List<UUID> pool = DidFixtures.dids(dsl, tenant, "main", 100, 8);
    List<UUID> quarantined = pool.subList(0, 3);
    for (UUID q : quarantined) {
      history(q, 25, 0, 0, Duration.ofHours(1));
    }
    assertThat(health.evaluate()).hasSize(3);

    int picks = 400;
    ExecutorService threads = Executors.newFixedThreadPool(16, r -> new Thread(r, "health-pick-test"));
    Map<UUID, Integer> counts = new ConcurrentHashMap<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < picks; i++) {
      done.add(threads.submit(() -> {
        go.await();
        Did d = dids.selectCallerId(tenant, Optional.empty(), Optional.of("main"), Optional.empty()).orElseThrow();
        counts.merge(d.id(), 1, Integer::sum);
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get();
    }
    threads.shutdown();
    assertThat(counts.keySet()).doesNotContainAnyElementsOf(quarantined);
    assertThat(counts.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(picks);
    Map<UUID, Long> stored = dsl.select(DID.ID, DID.USAGE_COUNT).from(DID).where(DID.ID.in(pool))
        .fetchMap(DID.ID, DID.USAGE_COUNT);
    for (UUID q : quarantined) {
      assertThat(stored.get(q)).isZero();
    }
    List<Long> healthy = pool.subList(3, 8).stream().map(stored::get).collect(Collectors.toList());
    assertThat(healthy.stream().mapToLong(Long::longValue).sum()).isEqualTo(picks);
    assertThat(Collections.max(healthy) - Collections.min(healthy)).as("still even").isLessThanOrEqualTo(1);
  }

  @Test
  void theTenantsPolicyOverridesTheDefaultsAndItsDailyCapApplies() {
    UUID a = DidFixtures.did(dsl, tenant, "+14155550021", "main");
    history(a, 10, 1, 0, Duration.ofHours(1));
    assertThat(health.evaluate()).as("10 calls: too few by default").isEmpty();
    health.setPolicy(tenant, new NumberHealth.Policy(2, 10, null, null, null, 600));
    List<NumberHealth.Change> changes = health.evaluate();
    assertThat(changes).extracting(NumberHealth.Change::didId).containsExactly(a);
    assertThat(changes.get(0).until()).isBefore(OffsetDateTime.now().plusMinutes(11));
    assertThat(health.effective(health.policy(tenant))).containsEntry("healthMinCalls", 10)
        .containsEntry("healthMinAnswerRate", 0.20).containsEntry("dailyCap", 2);

    dids.setHealth(a, OptionalLong.of(tenant), null, true);
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.empty(), Optional.empty())).isPresent();
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.empty(), Optional.empty())).isPresent();
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.empty(), Optional.empty()))
        .as("the tenant's daily cap of 2").isEmpty();
  }

  /**
   * {@code calls} finished outbound calls from {@code did}, {@code ago} before now: {@code answered} of them
   * answered ({@code short} of those for 5 s, the rest for 2 minutes), the others not answered. Half go to New
   * York, half to London.
   */
  private void history(UUID did, int calls, int answered, int shortCalls, Duration ago) {
    OffsetDateTime start = OffsetDateTime.now().minus(ago);
    for (int i = 0; i < calls; i++) {
      OffsetDateTime at = start.plusSeconds(i);
      boolean picked = i < answered;
      OffsetDateTime answeredAt = picked ? at.plusSeconds(10) : null;
      dsl.insertInto(CALL)
          .set(CALL.ID, UUID.randomUUID())
          .set(CALL.TENANT_ID, tenant)
          .set(CALL.DIRECTION, "outbound")
          .set(CALL.DID_ID, did)
          .set(CALL.REMOTE_NUMBER, i % 2 == 0 ? "+12125550100" : "+442071234567")
          .set(CALL.STATE, picked ? "ended" : "failed")
          .set(CALL.CREATED_AT, at)
          .set(CALL.ANSWERED_AT, answeredAt)
          .set(CALL.ENDED_AT, picked ? answeredAt.plusSeconds(i < shortCalls ? 5 : 120) : at.plusSeconds(30))
          .set(CALL.OUTCOME, picked ? "ANSWER" : "no_answer")
          .execute();
    }
  }
}
