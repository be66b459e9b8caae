package io.asterline.did;

import static io.asterline.db.generated.Tables.DID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.db.TestDatabase;
import io.asterline.error.InvalidInputException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DidRotationTest {

  private static final int THREADS = 64;

  private TestDatabase.Db db;
  private DSLContext dsl;
  private long tenant;
  private long otherTenant;

  @BeforeEach
  void setUp() {
    db = TestDatabase.fresh(THREADS + 4);
    dsl = db.dsl();
    tenant = DidFixtures.tenant(dsl, "acme");
    otherTenant = DidFixtures.tenant(dsl, "globex");
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  @Test
  void picksTheLeastUsedThenTheLeastRecentlyUsedAndCountsEachUse() {
    List<UUID> ids = DidFixtures.dids(dsl, tenant, "twilio-main", 0, 3);
    DidService dids = DidFixtures.service(dsl);
    dsl.update(DID).set(DID.USAGE_COUNT, 5L).where(DID.ID.eq(ids.get(0))).execute();
    dsl.update(DID).set(DID.USAGE_COUNT, 2L).set(DID.LAST_USED_AT, OffsetDateTime.now().minusMinutes(1))
        .where(DID.ID.eq(ids.get(1))).execute();
    dsl.update(DID).set(DID.USAGE_COUNT, 2L).set(DID.LAST_USED_AT, OffsetDateTime.now().minusMinutes(5))
        .where(DID.ID.eq(ids.get(2))).execute();

    Did first = pick(dids, "twilio-main");
    assertThat(first.id()).as("same count: the one used longest ago").isEqualTo(ids.get(2));
    assertThat(first.usageCount()).isEqualTo(3);
    assertThat(first.usesToday()).isEqualTo(1);
    assertThat(first.lastUsedAt()).isNotNull();
    assertThat(pick(dids, "twilio-main").id()).isEqualTo(ids.get(1));
    assertThat(pick(dids, "twilio-main").id()).as("3 and 3 now: the other 3 was used longer ago").isEqualTo(ids.get(2));
  }

  @Test
  void picksOnlyUsableNumbersOfTheTenantAndTheSegment() {
    UUID active = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    UUID available = DidFixtures.did(dsl, tenant, "+14155550002", "twilio-main");
    UUID inactive = DidFixtures.did(dsl, tenant, "+14155550003", "twilio-main");
    UUID quarantined = DidFixtures.did(dsl, tenant, "+14155550004", "twilio-main");
    UUID otherSegment = DidFixtures.did(dsl, tenant, "+14155550005", "twilio-backup");
    UUID otherTenants = DidFixtures.did(dsl, otherTenant, "+14155550006", "twilio-main");
    dsl.update(DID).set(DID.STATUS, "available").where(DID.ID.eq(available)).execute();
    dsl.update(DID).set(DID.STATUS, "inactive").where(DID.ID.eq(inactive)).execute();
    dsl.update(DID).set(DID.STATUS, "quarantined").where(DID.ID.eq(quarantined)).execute();
    DidService dids = DidFixtures.service(dsl);

    List<UUID> picked = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picked.add(pick(dids, "twilio-main").id());
    }
    assertThat(picked).containsOnly(active, available);
    assertThat(Collections.frequency(picked, active)).isEqualTo(3);
    assertThat(usage(inactive) + usage(quarantined) + usage(otherSegment) + usage(otherTenants)).isZero();

    Did any = dids.selectCallerId(tenant, Optional.empty(), Optional.empty(), Optional.empty()).orElseThrow();
    assertThat(any.id()).as("no segment: all the tenant's usable numbers, least used first").isEqualTo(otherSegment);
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.of("nothing-here"), Optional.empty())).isEmpty();
  }

  @Test
  void peekAndPickPassOverTheSameIneligibleNumbers() {
    List<UUID> ids = DidFixtures.dids(dsl, tenant, "twilio-main", 0, 4);
    DidService dids = DidFixtures.service(dsl);
    // the least used of each is ineligible: quarantined, at its daily cap, cooling down
    dsl.update(DID).set(DID.STATUS, "quarantined").where(DID.ID.eq(ids.get(0))).execute();
    dsl.update(DID).set(DID.DAILY_CAP, 1).where(DID.ID.eq(ids.get(1))).execute();
    dids.selectCallerId(tenant, Optional.of(ids.get(1)), Optional.empty(), Optional.empty()).orElseThrow();
    dsl.update(DID).set(DID.COOLDOWN_SECONDS, 3600).where(DID.ID.eq(ids.get(2))).execute();
    dids.selectCallerId(tenant, Optional.of(ids.get(2)), Optional.empty(), Optional.empty()).orElseThrow();
    dsl.update(DID).set(DID.USAGE_COUNT, 7L).where(DID.ID.eq(ids.get(3))).execute();

    Did peeked = dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), true).orElseThrow();
    assertThat(peeked.id()).isEqualTo(ids.get(3));
    assertThat(dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), false).orElseThrow().id())
        .isEqualTo(peeked.id());
  }

  @Test
  void peekShowsThePickWithoutCountingIt() {
    DidFixtures.dids(dsl, tenant, "twilio-main", 0, 2);
    DidService dids = DidFixtures.service(dsl);
    Did peeked = dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), true).orElseThrow();
    Did again = dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), true).orElseThrow();
    assertThat(again.id()).isEqualTo(peeked.id());
    assertThat(again.usageCount()).isZero();
    Did picked = dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), false).orElseThrow();
    assertThat(picked.id()).isEqualTo(peeked.id());
    assertThat(picked.usageCount()).isEqualTo(1);
    assertThat(dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), true).orElseThrow().id())
        .isNotEqualTo(peeked.id());
  }

  @Test
  void localPresencePrefersTheCalleesAreaCodeThenFallsBackToTheRest() {
    UUID sf = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    UUID ny1 = DidFixtures.did(dsl, tenant, "+12125550001", "twilio-main");
    UUID ny2 = DidFixtures.did(dsl, tenant, "+12125550002", "twilio-main");
    dsl.update(DID).set(DID.USAGE_COUNT, 10L).set(DID.LAST_USED_AT, OffsetDateTime.now().minusMinutes(10))
        .where(DID.ID.eq(ny1)).execute();
    dsl.update(DID).set(DID.USAGE_COUNT, 10L).set(DID.LAST_USED_AT, OffsetDateTime.now().minusMinutes(5))
        .where(DID.ID.eq(ny2)).execute();
    DidService dids = DidFixtures.service(dsl);

    Optional<String> nyCallee = Optional.of("(212) 555-9999");
    List<UUID> picked = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      picked.add(dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), nyCallee).orElseThrow().id());
    }
    assertThat(picked).as("local numbers even though they are used more, rotating between them")
        .containsExactly(ny1, ny2, ny1, ny2);
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), Optional.of("+13105550000"))
        .orElseThrow().id()).as("no number in 310: the rest of the segment by usage").isEqualTo(sf);

    dsl.update(DID).set(DID.STATUS, "inactive").where(DID.ID.in(ny1, ny2)).execute();
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), nyCallee).orElseThrow().id())
        .as("local numbers unusable: fall back").isEqualTo(sf);
  }

  @Test
  void aNamedDidIsUsedIfItIsTheTenantsAndUsable() {
    UUID mine = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    UUID theirs = DidFixtures.did(dsl, otherTenant, "+14155550002", "twilio-main");
    DidService dids = DidFixtures.service(dsl);

    Did picked = dids.selectCallerId(tenant, Optional.of(mine), Optional.of("ignored"), Optional.empty()).orElseThrow();
    assertThat(picked.id()).isEqualTo(mine);
    assertThat(picked.usageCount()).isEqualTo(1);
    assertThatThrownBy(() -> dids.selectCallerId(tenant, Optional.of(theirs), Optional.empty(), Optional.empty()))
        .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("didId"));
    assertThat(usage(theirs)).isZero();

    dsl.update(DID).set(DID.STATUS, "quarantined").where(DID.ID.eq(mine)).execute();
    assertThat(dids.selectCallerId(tenant, Optional.of(mine), Optional.empty(), Optional.empty())).isEmpty();
    assertThat(usage(mine)).isEqualTo(1);
  }

  @Test
  void dailyCapStopsANumberForTheDayAndANewDayStartsAgain() {
    UUID capped = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    UUID open = DidFixtures.did(dsl, tenant, "+14155550002", "twilio-main");
    dsl.update(DID).set(DID.DAILY_CAP, 2).where(DID.ID.eq(capped)).execute();
    DidService dids = DidFixtures.service(dsl);

    List<UUID> picked = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picked.add(pick(dids, "twilio-main").id());
    }
    assertThat(Collections.frequency(picked, capped)).isEqualTo(2);
    assertThat(Collections.frequency(picked, open)).isEqualTo(4);

    // yesterday's uses do not count against today's cap
    dsl.update(DID).set(DID.DAILY_USAGE_DATE, DID.DAILY_USAGE_DATE.minus(1)).where(DID.ID.eq(capped)).execute();
    dsl.update(DID).set(DID.STATUS, "inactive").where(DID.ID.eq(open)).execute();
    Did again = pick(dids, "twilio-main");
    assertThat(again.id()).isEqualTo(capped);
    assertThat(again.usesToday()).isEqualTo(1);
    assertThat(again.usageCount()).isEqualTo(3);
  }

  @Test
  void defaultCapAppliesToNumbersWithoutTheirOwn() {
    UUID own = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    DidFixtures.did(dsl, tenant, "+14155550002", "twilio-main");
    dsl.update(DID).set(DID.DAILY_CAP, 3).where(DID.ID.eq(own)).execute();
    DidService dids = DidFixtures.service(dsl, OptionalInt.of(1), Duration.ZERO);
    int picks = 0;
    while (dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), Optional.empty()).isPresent()) {
      picks++;
    }
    assertThat(picks).isEqualTo(4);
    assertThat(usage(own)).isEqualTo(3);
  }

  @Test
  void cooldownKeepsARecentlyUsedNumberOutOfRotation() {
    UUID slow = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    dsl.update(DID).set(DID.COOLDOWN_SECONDS, 3600).where(DID.ID.eq(slow)).execute();
    DidService dids = DidFixtures.service(dsl);

    assertThat(pick(dids, "twilio-main").id()).isEqualTo(slow);
    assertThat(dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), Optional.empty())).isEmpty();
    assertThat(dids.next(tenant, Optional.of("twilio-main"), Optional.empty(), true)).isEmpty();

    dsl.update(DID).set(DID.LAST_USED_AT, OffsetDateTime.now().minusMinutes(61)).where(DID.ID.eq(slow)).execute();
    assertThat(pick(dids, "twilio-main").id()).as("an hour later").isEqualTo(slow);
  }

  @Test
  void aNumberLockedByALongTransactionDoesNotStallRotation() throws Exception {
    UUID held = DidFixtures.did(dsl, tenant, "+14155550001", "twilio-main");
    UUID free = DidFixtures.did(dsl, tenant, "+14155550002", "twilio-main");
    dsl.update(DID).set(DID.USAGE_COUNT, 1L).where(DID.ID.eq(free)).execute();
    DidService dids = DidFixtures.service(dsl);
    try (java.sql.Connection importer = db.dataSource().getConnection()) {
      // what an import page does to the rows it touches: locks them until it commits
      importer.setAutoCommit(false);
      try (var lock = importer.prepareStatement("UPDATE did SET trunk = 'OTHER' WHERE id = ?")) {
        lock.setObject(1, held);
        lock.executeUpdate();
      }
      long start = System.nanoTime();
      assertThat(pick(dids, "twilio-main").id()).as("the least used number is locked: the next one").isEqualTo(free);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
      importer.rollback();
    }
    assertThat(pick(dids, "twilio-main").id()).isEqualTo(held);
  }

  @Test
  void concurrentPicksNeverLoseACountAndKeepCountsWithinOne() throws Exception {
    List<UUID> ids = DidFixtures.dids(dsl, tenant, "twilio-main", 0, 10);
    UUID bystander = DidFixtures.did(dsl, tenant, "+14155559999", "twilio-backup");
    DidService dids = DidFixtures.service(dsl);
    int perThread = 500;
    Map<UUID, AtomicInteger> seen = new ConcurrentHashMap<>();

    runConcurrently(() -> {
      for (int i = 0; i < perThread; i++) {
        Did d = pick(dids, "twilio-main");
        seen.computeIfAbsent(d.id(), k -> new AtomicInteger()).incrementAndGet();
      }
    });

    Map<UUID, Long> counts = dsl.select(DID.ID, DID.USAGE_COUNT).from(DID).where(DID.ID.in(ids))
        .fetchMap(DID.ID, DID.USAGE_COUNT);
    long sum = counts.values().stream().mapToLong(Long::longValue).sum();
    long max = Collections.max(counts.values());
    long min = Collections.min(counts.values());
    assertThat(sum).isEqualTo((long) THREADS * perThread);
    assertThat(max - min).as("usage counts %s", counts.values()).isLessThanOrEqualTo(1);
    assertThat(seen.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> (long) e.getValue().get())))
        .as("every pick a caller saw is counted, and only those").isEqualTo(counts);
    assertThat(usage(bystander)).isZero();
  }

  @Test
  void dailyCapHoldsUnderConcurrentPicks() throws Exception {
    List<UUID> ids = DidFixtures.dids(dsl, tenant, "twilio-main", 0, 10);
    dsl.update(DID).set(DID.DAILY_CAP, 30).where(DID.ID.in(ids)).execute();
    DidService dids = DidFixtures.service(dsl);
    AtomicInteger granted = new AtomicInteger();

    runConcurrently(() -> {
      for (int i = 0; i < 20; i++) {
        dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), Optional.empty())
            .ifPresent(d -> granted.incrementAndGet());
      }
    });

    assertThat(granted.get()).isEqualTo(300);
    assertThat(dsl.select(DID.DAILY_USAGE_COUNT).from(DID).where(DID.ID.in(ids)).fetch(DID.DAILY_USAGE_COUNT))
        .containsOnly(30);
  }

  @Test
  void cooldownHoldsUnderConcurrentPicks() throws Exception {
    List<UUID> ids = DidFixtures.dids(dsl, tenant, "twilio-main", 0, 10);
    Duration cooldown = Duration.ofMillis(200);
    DidService dids = DidFixtures.service(dsl, OptionalInt.empty(), cooldown);
    Map<UUID, List<OffsetDateTime>> uses = new ConcurrentHashMap<>();
    long[] until = new long[1];

    runConcurrently(() -> until[0] = System.nanoTime() + Duration.ofMillis(900).toNanos(), () -> {
      while (System.nanoTime() < until[0]) {
        dids.selectCallerId(tenant, Optional.empty(), Optional.of("twilio-main"), Optional.empty())
            .ifPresent(d -> uses.computeIfAbsent(d.id(), k -> Collections.synchronizedList(new ArrayList<>()))
                .add(d.lastUsedAt()));
      }
    });

    assertThat(uses.keySet()).as("every number was used").containsExactlyInAnyOrderElementsOf(ids);
    for (List<OffsetDateTime> times : uses.values()) {
      List<OffsetDateTime> sorted = times.stream().sorted().toList();
      for (int i = 1; i < sorted.size(); i++) {
        assertThat(Duration.between(sorted.get(i - 1), sorted.get(i))).isGreaterThanOrEqualTo(cooldown);
      }
      assertThat(sorted.size()).as("a number comes back after its cooldown").isGreaterThanOrEqualTo(2);
    }
  }

  private void runConcurrently(Runnable work) throws Exception {
    runConcurrently(() -> { }, work);
  }

  /** Runs {@code work} on every thread at once, once each thread holds a pooled connection ready to use. */
  private void runConcurrently(Runnable atStart, Runnable work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS, r -> new Thread(r, "pick-test"));
    try {
      CountDownLatch ready = new CountDownLatch(THREADS);
      CountDownLatch connected = new CountDownLatch(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        done.add(pool.submit(() -> {
          // open all the pool's connections before the clock starts: opening 64 of them on a busy machine
          // can take longer than a timed test runs
          try (java.sql.Connection c = db.dataSource().getConnection()) {
            connected.countDown();
            connected.await();
          }
          ready.countDown();
          start.await();
          work.run();
          return null;
        }));
      }
      ready.await();
      atStart.run();
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private Did pick(DidService dids, String segment) {
    return dids.selectCallerId(tenant, Optional.empty(), Optional.of(segment), Optional.empty())
        .orElseThrow(() -> new AssertionError("no DID picked in " + segment));
  }

  private long usage(UUID id) {
    return dsl.select(DID.USAGE_COUNT).from(DID).where(DID.ID.eq(id)).fetchOne(DID.USAGE_COUNT);
  }
}
