package io.asterline.agi;

import static io.asterline.db.generated.Tables.CALL;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.config.Json;
import io.asterline.db.Database;
import io.asterline.db.Migrations;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.degraded.HeldWrite;
import io.asterline.degraded.Journal;
import io.asterline.http.HealthCheck;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/** Surviving the database: inbound keeps answering when PostgreSQL is stopped or stuck. */
class DegradedTest {

  @Test
  void withTheDatabaseStoppedKnownNumbersStillReachTheAgentAndTheRowsAreWrittenWhenItIsBack() throws Exception {
    Path base = Path.of(System.getProperty("asterline.test.pgdir", "target/test-postgres")).toAbsolutePath();
    Files.createDirectories(base);
    Path dir = Files.createTempDirectory(base, "degraded-");
    EmbeddedPostgres pg = Database.startEmbedded(dir, 0);
    int port = pg.getPort();
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("degraded-test");
    hc.setJdbcUrl(pg.getJdbcUrl("postgres", "postgres"));
    hc.setUsername("postgres");
    hc.setPassword(Database.embeddedPassword(dir));
    hc.setMaximumPoolSize(10);
    hc.setMinimumIdle(0);
    // far longer than the AGI deadline: an answer inside the deadline proves the deadline, not the pool, cut in
    hc.setConnectionTimeout(4000);
    hc.setInitializationFailTimeout(-1);
    HikariDataSource ds = new HikariDataSource(hc);
    Migrations.apply(ds);
    TestDatabase.Db db = new TestDatabase.Db("degraded", hc.getJdbcUrl(), ds, DSL.using(ds, SQLDialect.POSTGRES));
    try (AgiFixture fx = new AgiFixture(db, Map.of("agi.db-deadline", "300ms"))) {
      long tenant = fx.tenant("survivor", 10);
      fx.did(tenant, "+15551234567");
      fx.agi.refreshDidCache();
      assertThat(fx.inbound("+15551234567").status()).isEqualTo("OK");

      pg.close();

      long start = System.nanoTime();
      FakeAsterisk.Exchange x = fx.inbound("+15551234567");
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(x.status()).isEqualTo("DEGRADED");
      assertThat(took).isLessThan(Duration.ofMillis(1500));
      assertThat(x.get("ASTERLINE_ROUTE")).isEqualTo("agent");
      assertThat(x.get("ASTERLINE_TENANT_ID")).isEqualTo(Long.toString(tenant));
      assertThat(x.get("ASTERLINE_AUDIOSOCKET")).isEqualTo("127.0.0.1:9092");
      assertThat(x.get("ASTERLINE_TRUNK")).isEqualTo("TWILIO");
      String callId = x.get("ASTERLINE_CALL_ID");
      assertThat(x.get("ASTERLINE_RECORDING")).endsWith("/" + tenant + "/" + callId + ".wav");

      FakeAsterisk.Exchange unknown = fx.inbound("+15550009999");
      assertThat(unknown.status()).isEqualTo("UNKNOWN_DID");
      assertThat(fx.agi.health().check().state()).isEqualTo(HealthCheck.State.DEGRADED);

      // the caller leaves a message: for them it is left (OK), kept until the database takes it
      String message = fx.recordings.resolve(tenant + "/" + callId + "-voicemail.wav").toString();
      FakeAsterisk.Exchange vm = fx.asterisk.send(FakeAsterisk.request("voicemail-done")
          .args(callId, message, "SILENCE", "4200"));
      assertThat(vm.status()).isEqualTo("OK");

      FakeAsterisk.Exchange end = fx.callEnd(callId);
      assertThat(end.status()).isEqualTo("DEGRADED");
      assertThat(fx.agi.pendingWrites()).isEqualTo(3);

      EmbeddedPostgres again = Database.startEmbedded(dir, port);
      try {
        await(() -> {
          fx.agi.flushPending();
          return fx.agi.pendingWrites() == 0;
        });
        CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
        assertThat(row).isNotNull();
        assertThat(row.getTenantId()).isEqualTo(tenant);
        assertThat(row.getState()).isEqualTo("ended");
        assertThat(row.getRecordingFile()).isEqualTo("/rec/" + callId + ".wav");
        assertThat(row.getVoicemailFile()).isEqualTo(message);
        assertThat(row.getVoicemailDurationMs()).isEqualTo(4200);
        assertThat(fx.ended).anySatisfy(e -> assertThat(e.callId()).hasToString(callId));
        assertThat(fx.inbound("+15551234567").status()).isEqualTo("OK");
      } finally {
        again.close();
      }
    }
  }

  @Test
  void aStuckDatabaseIsCutOffAtTheDeadlineAndItsLateWorkIsNotCountedTwice() throws Exception {
    try (AgiFixture fx = new AgiFixture(Map.of("agi.db-deadline", "300ms"))) {
      long tenant = fx.tenant("patient", 10);
      fx.did(tenant, "+15552345678");
      fx.agi.refreshDidCache();
      String callId;
      try (Connection locker = fx.db.dataSource().getConnection(); Statement s = locker.createStatement()) {
        locker.setAutoCommit(false);
        s.execute("LOCK TABLE did IN ACCESS EXCLUSIVE MODE");
        FakeAsterisk.Exchange x = fx.inbound("+15552345678");
        assertThat(x.status()).isEqualTo("DEGRADED");
        callId = x.get("ASTERLINE_CALL_ID");
        // the caller hangs up while the database is still stuck: the end waits behind the held row
        assertThat(fx.callEnd(callId).status()).isEqualTo("DEGRADED");
        locker.rollback();
      }
      // the lookup that was stuck finishes now and admits the same call id; the held row then adds nothing,
      // and the held end ends it, releasing the slot the late admission took
      await(() -> fx.dsl().fetchExists(CALL, CALL.ID.eq(UUID.fromString(callId))));
      await(() -> {
        fx.agi.flushPending();
        return fx.agi.pendingWrites() == 0;
      });
      CallRecord row = fx.dsl().selectFrom(CALL).where(CALL.ID.eq(UUID.fromString(callId))).fetchOne();
      assertThat(row.getState()).isEqualTo("ended");
      assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getCreatedAt());
      assertThat(fx.dsl().fetchCount(CALL, CALL.ID.eq(UUID.fromString(callId)))).isEqualTo(1);
      assertThat(fx.callEnd(callId).status()).isEqualTo("UNKNOWN_CALL");
      assertThat(fx.slotsInUse(tenant)).isZero();
      assertThat(fx.totalInUse()).isZero();
    }
  }

  @Test
  void aReplayCutShortByACrashRunsAgainWithoutChangingAnything() throws Exception {
    TestDatabase.Db db = TestDatabase.fresh(20);
    long tenant = db.dsl().insertInto(io.asterline.db.generated.Tables.TENANT)
        .set(io.asterline.db.generated.Tables.TENANT.NAME, "replayed")
        .set(io.asterline.db.generated.Tables.TENANT.MAX_CONCURRENT_CALLS, 10)
        .returning(io.asterline.db.generated.Tables.TENANT.ID).fetchOne(io.asterline.db.generated.Tables.TENANT.ID);
    UUID call = UUID.randomUUID();
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    // what a node held through an outage: the call's row, its agent leg, the agent's outcome and the end
    Path node = Files.createTempDirectory("asterline-data");
    try (Journal journal = Journal.open(node.resolve("journal"), 1_000_000, Json.mapper())) {
      journal.hold(new HeldWrite.CallAdmitted(call, tenant, null, "+15557770000", "1.1", "PJSIP/t-1", at));
      journal.hold(new HeldWrite.ConsentAnnounced(call, at.plusNanos(500_000_000L)));
      journal.hold(new HeldWrite.AgentConnected(call, at.plusSeconds(1)));
      journal.hold(new HeldWrite.AgentOutcome(call, "hangup", null, "end_call", at.plusSeconds(2), 2, 180, "human",
          "[{\"role\":\"user\",\"text\":\"hello\"}]", new HeldWrite.Tokens(40, 900, 0, 100, 20, 700)));
      journal.hold(new HeldWrite.CallEnded(call, "ANSWER", "16", "/rec/" + call + ".wav", at.plusSeconds(30), true));
    }
    // the same journal as a node that died after writing all of it but before deleting it would leave
    Path crashed = Files.createTempDirectory("asterline-data");
    Files.createDirectories(crashed.resolve("journal"));
    try (var files = Files.list(node.resolve("journal"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".journal")).toList()) {
        Files.copy(f, crashed.resolve("journal").resolve(f.getFileName()));
      }
    }

    AgiFixture first = new AgiFixture(db, Map.of(), Files.createTempDirectory("rec"), node);
    CallRecord written;
    try {
      await(() -> first.agi.pendingWrites() == 0);
      written = first.dsl().selectFrom(CALL).where(CALL.ID.eq(call)).fetchOne();
      assertThat(written.getState()).isEqualTo("ended");
      assertThat(written.getOutcome()).isEqualTo("ANSWER");
      assertThat(written.getAgentEndReason()).isEqualTo("end_call");
      // the consent report and the agent's token totals waited in the journal like the rest
      assertThat(written.getConsentAnnouncedAt()).isEqualTo(at.plusNanos(500_000_000L));
      assertThat(written.getRtAudioInTokens()).isEqualTo(900L);
      assertThat(written.getRtCachedAudioInTokens()).isEqualTo(100L);
      assertThat(written.getRtAudioOutTokens()).isEqualTo(700L);
      assertThat(first.ended).hasSize(1);
    } finally {
      first.agi.close();
      first.degraded.close();
    }
    try (AgiFixture again = new AgiFixture(db, Map.of(), Files.createTempDirectory("rec"), crashed)) {
      await(() -> again.agi.pendingWrites() == 0);
      CallRecord replayed = again.dsl().selectFrom(CALL).where(CALL.ID.eq(call)).fetchOne();
      assertThat(replayed).isEqualTo(written);
      assertThat(again.ended).as("the end is reported once, by the first replay").isEmpty();
      assertThat(again.dsl().fetchCount(CALL, CALL.ID.eq(call))).isEqualTo(1);
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
