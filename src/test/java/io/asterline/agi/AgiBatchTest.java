package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agi.AgiRepository.Admitted;
import io.asterline.call.CallRepository;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.agi.AgiRepository.InboundAsk;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batch statements behind inbound and call-end: one batch gives every request the answer it would have had
 * alone, in arrival order, and batches running beside single admissions (outbound's) do not deadlock and give
 * every slot back.
 */
class AgiBatchTest {

  private static TestDatabase.Db db;
  private static AgiRepository repository;
  private static AgiFixture fx;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh(12);
    repository = new AgiRepository(db.dsl());
    fx = new AgiFixture(db, Map.of("agi.db-deadline", "30s"));
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static InboundAsk ask(String did, Long tenant) {
    return new InboundAsk(UUID.randomUUID(), did, tenant, "+15557654321", "1763700000.5", "PJSIP/trunk-1",
        OffsetDateTime.now(ZoneOffset.UTC));
  }

  @Test
  void oneBatchAnswersEachRequestAsIfAlone() {
    long two = fx.tenant("two-slots", 2);
    fx.did(two, "+15550200001");
    long off = fx.tenant("switched-off", 5);
    fx.did(off, "+15550200002");
    db.dsl().update(TENANT).set(TENANT.STATUS, "disabled").where(TENANT.ID.eq(off)).execute();
    long refuses = fx.tenant("refuses", 5);
    fx.did(refuses, "+15550200003");
    db.dsl().update(TENANT).set(TENANT.INBOUND_ROUTE, "reject").where(TENANT.ID.eq(refuses)).execute();
    fx.did(two, "+15550200004");
    db.dsl().update(DID).set(DID.STATUS, "inactive").where(DID.NUMBER.eq("+15550200004")).execute();

    List<InboundAsk> asks = List.of(
        ask("+15550200001", null),      // OK, first slot
        ask("+15559999999", null),      // nobody's number
        ask("+15550200001", null),      // OK, second slot
        ask("+15550200002", null),      // tenant disabled
        ask("+15550200001", null),      // the third: full
        ask("+15550200003", null),      // the tenant refuses inbound calls
        ask("+15550200004", null),      // out of service
        ask("+15550000000", two),       // the dialplan's static tenant line: full as well
        ask(null, 987654321L));         // a static tenant that does not exist

    List<Admitted> out = repository.admitInboundBatch(asks, 1000, 3600);

    assertThat(out).extracting(a -> a.verdict().name()).containsExactly("OK", "UNKNOWN", "OK", "TENANT_DISABLED",
        "TENANT_FULL", "REJECT", "NOT_ROUTABLE", "TENANT_FULL", "UNKNOWN");
    assertThat(out.get(0).route().tenantId()).isEqualTo(two);
    assertThat(out.get(0).route().trunk()).isEqualTo("TWILIO");
    assertThat(out.get(1).route()).isNull();
    assertThat(out.get(6).route().didStatus()).isEqualTo("inactive");
    assertThat(fx.slotsInUse(two)).isEqualTo(2);
    // a row for each call that reached admission: two in progress, two refused and kept for reports
    CallRecord first = db.dsl().selectFrom(CALL).where(CALL.ID.eq(asks.get(0).callId())).fetchOne();
    assertThat(first.getState()).isEqualTo("created");
    assertThat(first.getRemoteNumber()).isEqualTo("+15557654321");
    assertThat(db.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(asks.get(4).callId()))).isEqualTo("tenant_full");
    assertThat(db.dsl().fetchCount(CALL, CALL.ID.in(asks.get(1).callId(), asks.get(3).callId(),
        asks.get(5).callId(), asks.get(6).callId()))).isZero();

    // the same call ended twice in one batch, and a stranger: one end, one slot back
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    UUID callId = asks.get(0).callId();
    List<Optional<CallRepository.Ended>> ended = repository.calls().ended(List.of(
        new EndAsk(callId, "ANSWER", "16", "/rec/a.wav", now),
        new EndAsk(UUID.randomUUID(), "ANSWER", "16", null, now),
        new EndAsk(callId, "BUSY", "17", "/rec/b.wav", now)));
    assertThat(ended.get(0)).hasValueSatisfying(e -> assertThat(e.recordingFile()).isEqualTo("/rec/a.wav"));
    assertThat(ended.get(1)).isEmpty();
    assertThat(ended.get(2)).isEmpty();
    assertThat(fx.slotsInUse(two)).isEqualTo(1);
    assertThat(db.dsl().fetchValue(CALL.OUTCOME, CALL.ID.eq(callId))).isEqualTo("ANSWER");
  }

  /**
   * The end's time is taken by the node that ran call-end, before its batch ran; the answer's by the database. A
   * call answered and ended in the same moment (AMD missing or failed) must still not end before its answer.
   */
  /**
   * The forward route: Dial(PJSIP/<tenant's number>), no agent leg, so only call-end's ANSWEREDTIME (argument 6) can
   * date the answer: the end less those seconds. A call sent to the agent keeps the agent's answer (none here: its
   * leg never connected, and the failure route's forward is not when the caller was answered).
   */
  @Test
  void aForwardedCallIsAnsweredWhenTheForwardWas() throws Exception {
    long t = fx.tenant("forwarding", 4);
    fx.did(t, "+15550200010");
    db.dsl().update(TENANT).set(TENANT.TRANSFER_NUMBER, "+15559990001").set(TENANT.INBOUND_ROUTE, "forward")
        .where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange forwarded = fx.inbound("+15550200010");
    assertThat(forwarded.get("ASTERLINE_ROUTE")).isEqualTo("forward");
    UUID id = UUID.fromString(forwarded.get("ASTERLINE_CALL_ID"));
    // the caller heard the callee ring for a while: the call began two minutes ago
    db.dsl().update(CALL).set(CALL.CREATED_AT, OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(2))
        .where(CALL.ID.eq(id)).execute();
    assertThat(db.dsl().fetchValue(CALL.ANSWERED_AT, CALL.ID.eq(id))).isNull();

    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end").args(id.toString(), "ANSWER", "16", "", "", "42"))
        .status()).isEqualTo("OK");

    CallRecord row = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
    assertThat(row.getAnsweredAt()).isNotNull();
    assertThat(java.time.Duration.between(row.getAnsweredAt(), row.getEndedAt()))
        .isBetween(java.time.Duration.ofSeconds(42), java.time.Duration.ofSeconds(43));

    // sent to the agent, whose leg never came: agent_unavailable, and the forward's answer time is not the caller's
    db.dsl().update(TENANT).set(TENANT.INBOUND_ROUTE, "agent").where(TENANT.ID.eq(t)).execute();
    FakeAsterisk.Exchange toAgent = fx.inbound("+15550200010");
    UUID agentCall = UUID.fromString(toAgent.get("ASTERLINE_CALL_ID"));
    assertThat(fx.asterisk.send(FakeAsterisk.request("call-end").args(agentCall.toString(), "ANSWER", "16", "",
        toAgent.get("ASTERLINE_AUDIOSOCKET"), "42")).status()).isEqualTo("OK");
    CallRecord failed = db.dsl().selectFrom(CALL).where(CALL.ID.eq(agentCall)).fetchOne();
    assertThat(failed.getOutcome()).isEqualTo("agent_unavailable");
    assertThat(failed.getAnsweredAt()).isNull();
  }

  @Test
  void aCallNeverEndsBeforeItWasAnswered() throws Exception {
    long t = fx.tenant("quick-answer", 2);
    fx.did(t, "+15550200009");
    String callId = fx.inbound("+15550200009").get("ASTERLINE_CALL_ID");
    UUID id = UUID.fromString(callId);
    db.dsl().update(CALL).set(CALL.ANSWERED_AT, org.jooq.impl.DSL.currentOffsetDateTime()).where(CALL.ID.eq(id))
        .execute();
    OffsetDateTime askedBefore = OffsetDateTime.now(ZoneOffset.UTC).minusSeconds(5);

    assertThat(repository.endCall(new EndAsk(id, "ANSWER", "16", null, askedBefore))).isPresent();

    CallRecord row = db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
    assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getAnsweredAt());
  }

  @Test
  void batchesBesideSingleAdmissionsDoNotDeadlockAndGiveEverySlotBack() throws Exception {
    int tenants = 4;
    int limit = 10;
    List<Long> ids = new ArrayList<>();
    for (int t = 0; t < tenants; t++) {
      long id = fx.tenant("mixed-" + t, limit);
      fx.did(id, "+1555030000" + t);
      ids.add(id);
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    List<Future<Integer>> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int seed = w;
      // batch admitters spanning every tenant in different orders, ending what they admitted
      workers.add(pool.submit(() -> {
        int rounds = 0;
        while (System.nanoTime() < until) {
          List<InboundAsk> asks = new ArrayList<>();
          for (int i = 0; i < 8; i++) {
            asks.add(ask("+1555030000" + ((i + seed + rounds) % tenants), null));
          }
          List<Admitted> out = repository.admitInboundBatch(asks, 1000, 3600);
          List<EndAsk> ends = new ArrayList<>();
          for (int i = 0; i < asks.size(); i++) {
            if (out.get(i).verdict() == InboundVerdict.OK) {
              ends.add(new EndAsk(asks.get(i).callId(), "ANSWER", "16", null, OffsetDateTime.now(ZoneOffset.UTC)));
            }
          }
          if (!ends.isEmpty()) {
            repository.calls().ended(ends);
          }
          rounds++;
        }
        return rounds;
      }));
    }
    for (int w = 0; w < 2; w++) {
      int seed = w;
      // outbound's way: one admission_reserve / admission_release per statement
      workers.add(pool.submit(() -> {
        int rounds = 0;
        while (System.nanoTime() < until) {
          UUID call = UUID.randomUUID();
          long tenant = ids.get((rounds + seed) % tenants);
          String verdict = db.dsl().fetchValue("select admission_reserve(?, ?, 1000, 3600)", call, tenant).toString();
          if (verdict.equals("OK")) {
            db.dsl().execute("select admission_release(?)", call);
          }
          rounds++;
        }
        return rounds;
      }));
    }
    for (Future<Integer> w : workers) {
      // a deadlock would surface here as PostgreSQL's "deadlock detected"
      assertThat(w.get(30, TimeUnit.SECONDS)).isPositive();
    }
    pool.shutdownNow();
    for (long id : ids) {
      assertThat(fx.slotsInUse(id)).isZero();
    }
    assertThat(db.dsl().fetchValue("select count(*) from admission_slot s join tenant t on t.id = s.tenant_id"
        + " where t.name like 'mixed-%'")).isEqualTo(0L);
  }
}
