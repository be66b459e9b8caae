package io.asterline.outbound;

import io.asterline.did.DidService;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.asterline.db.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Caller-ID priority: didId, then the segment's least-used DID, then the tenant's least-used DID. */
class CallerIdSelectionTest {

  static TestDatabase.Db db;
  static DSLContext dsl;
  long tenant;
  long other;
  CallerIdSelector selector;

  @BeforeAll
  static void database() {
    db = TestDatabase.fresh(24);
    dsl = db.dsl();
  }

  @AfterAll
  static void close() {
    db.close();
  }

  @BeforeEach
  void tenants() {
    String suffix = UUID.randomUUID().toString();
    tenant = dsl.insertInto(TENANT).set(TENANT.NAME, "acme " + suffix).returning(TENANT.ID).fetchOne(TENANT.ID);
    other = dsl.insertInto(TENANT).set(TENANT.NAME, "other " + suffix).returning(TENANT.ID).fetchOne(TENANT.ID);
    selector = new DidCallerIds(DidService.create(dsl, io.asterline.config.Json.mapper(),
        io.asterline.did.DidConfig.from(io.asterline.config.Settings.of(java.util.Map.of(), java.util.Map.of(), java.util.Map.of())),
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
  }

  private static final java.util.concurrent.atomic.AtomicInteger NUMBERS = new java.util.concurrent.atomic.AtomicInteger();

  private UUID did(long owner, String segment, String status) {
    String number = "+1555" + (1_000_000 + NUMBERS.incrementAndGet());
    return dsl.insertInto(DID).set(DID.TENANT_ID, owner).set(DID.NUMBER, number).set(DID.SEGMENT, segment)
        .set(DID.TRUNK, "TRUNK_" + segment.toUpperCase().replace('-', '_')).set(DID.STATUS, status)
        .returning(DID.ID).fetchOne(DID.ID);
  }

  private long usage(UUID id) {
    return dsl.fetchValue(DID.USAGE_COUNT, DID.ID.eq(id));
  }

  private SelectedDid pick(Optional<UUID> didId, Optional<String> segment) {
    return selector.select(tenant, didId, segment, Optional.of("+15559990000"));
  }

  @Test
  void aNamedDidWinsOverItsSegmentAndTheRotation() {
    UUID named = did(tenant, "twilio-main", "active");
    did(tenant, "twilio-main", "active");
    for (int i = 0; i < 3; i++) {
      SelectedDid d = pick(Optional.of(named), Optional.of("twilio-main"));
      assertThat(d.id()).isEqualTo(named);
      assertThat(d.segment()).isEqualTo("twilio-main");
      assertThat(d.trunk()).isEqualTo("TRUNK_TWILIO_MAIN");
    }
    assertThat(usage(named)).isEqualTo(3);
  }

  @Test
  void aSegmentRotatesOverItsLeastUsedNumbersOnly() {
    List<UUID> main = List.of(did(tenant, "twilio-main", "active"), did(tenant, "twilio-main", "available"),
        did(tenant, "twilio-main", "active"));
    UUID elsewhere = did(tenant, "didww", "active");
    did(tenant, "twilio-main", "quarantined");
    List<UUID> picked = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      picked.add(pick(Optional.empty(), Optional.of("twilio-main")).id());
    }
    assertThat(picked.subList(0, 3)).containsExactlyInAnyOrderElementsOf(main);
    assertThat(picked.subList(3, 6)).containsExactlyInAnyOrderElementsOf(main);
    main.forEach(id -> assertThat(usage(id)).isEqualTo(2));
    assertThat(usage(elsewhere)).isZero();
  }

  @Test
  void withoutDidOrSegmentEveryUsableNumberOfTheTenantRotates() {
    UUID a = did(tenant, "default", "active");
    UUID b = did(tenant, "twilio-main", "active");
    did(tenant, "default", "inactive");
    UUID foreign = did(other, "default", "active");
    Map<UUID, Long> counts = new java.util.HashMap<>();
    for (int i = 0; i < 4; i++) {
      counts.merge(pick(Optional.empty(), Optional.empty()).id(), 1L, Long::sum);
    }
    assertThat(counts).containsOnlyKeys(a, b).containsValues(2L, 2L);
    assertThat(usage(foreign)).isZero();
  }

  @Test
  void unusableChoicesAreRefusedNamingWhatIsWrong() {
    UUID inactive = did(tenant, "default", "inactive");
    UUID foreign = did(other, "default", "active");
    did(tenant, "empty-seg", "quarantined");
    assertThatThrownBy(() -> pick(Optional.of(inactive), Optional.empty()))
        .isInstanceOfSatisfying(CallerIdException.class, e -> assertThat(e.field()).isEqualTo(CallerIdException.Field.DID_ID))
        .hasMessageContaining("is inactive");
    assertThatThrownBy(() -> pick(Optional.of(foreign), Optional.empty()))
        .hasMessageContaining("for this tenant");
    assertThatThrownBy(() -> pick(Optional.empty(), Optional.of("nowhere")))
        .isInstanceOfSatisfying(CallerIdException.class,
            e -> assertThat(e.field()).isEqualTo(CallerIdException.Field.DID_SEGMENT))
        .hasMessageContaining("no such segment");
    assertThatThrownBy(() -> pick(Optional.empty(), Optional.of("empty-seg")))
        .hasMessageContaining("has no active or available DID");
    assertThatThrownBy(() -> pick(Optional.empty(), Optional.empty()))
        .isInstanceOfSatisfying(CallerIdException.class, e -> assertThat(e.field()).isEqualTo(CallerIdException.Field.NONE));
    assertThat(usage(inactive)).isZero();
    assertThat(usage(foreign)).isZero();
  }

  @Test
  void concurrentPicksCountEveryUseAndSpreadOverThePool() throws Exception {
    List<UUID> pool = List.of(did(tenant, "burst", "active"), did(tenant, "burst", "active"),
        did(tenant, "burst", "active"), did(tenant, "burst", "active"));
    ExecutorService threads = Executors.newFixedThreadPool(8);
    try {
      List<Future<SelectedDid>> picks = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        picks.add(threads.submit(() -> pick(Optional.empty(), Optional.of("burst"))));
      }
      Map<UUID, Long> counts = new java.util.HashMap<>();
      for (Future<SelectedDid> p : picks) {
        counts.merge(p.get().id(), 1L, Long::sum);
      }
      assertThat(counts.keySet()).containsExactlyInAnyOrderElementsOf(pool);
      assertThat(pool.stream().mapToLong(this::usage).sum()).as("no use lost").isEqualTo(40);
      assertThat(pool.stream().collect(Collectors.toMap(id -> id, this::usage)).values())
          .as("rotation spreads the burst").allSatisfy(n -> assertThat(n).isBetween(5L, 15L));
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void undoGivesBackOneUse() {
    UUID a = did(tenant, "default", "active");
    SelectedDid d = pick(Optional.of(a), Optional.empty());
    selector.undo(d);
    assertThat(usage(a)).isZero();
    selector.undo(d);
    assertThat(usage(a)).as("never below zero").isZero();
  }
}
