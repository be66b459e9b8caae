package io.asterline.app;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.agi.FakeAsterisk;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.db.Database;
import io.asterline.db.Migrations;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database outage through the whole service, as Asterisk and OpenAI drive it: a real PostgreSQL that the test
 * stops and starts, the real FastAGI and AudioSocket servers, Asterisk and the Realtime API played by fakes that
 * speak their wire protocols. A DEGRADED caller talks to the agent, and everything the call owes the database
 * lands there once it is back, also through a restart of the node.
 */
class DatabaseOutageTest {

  private static final Logger log = LoggerFactory.getLogger(DatabaseOutageTest.class);
  private static final String DID_NUMBER = "+15554440000";

  @TempDir
  Path dir;

  private Path pgDir;
  private EmbeddedPostgres pg;
  private int pgPort;
  private HikariDataSource ds;
  private DSLContext dsl;
  private FakeRealtimeServer realtime;
  private EventLoopGroup group;
  private long tenant;

  @BeforeEach
  void start() throws Exception {
    pgDir = dir.resolve("pg");
    pg = Database.startEmbedded(pgDir, 0);
    pgPort = pg.getPort();
    HikariConfig hc = new HikariConfig();
    hc.setJdbcUrl(jdbcUrl());
    hc.setUsername("postgres");
    hc.setPassword(Database.embeddedPassword(pgDir));
    hc.setMaximumPoolSize(2);
    hc.setMinimumIdle(0);
    hc.setConnectionTimeout(1000);
    hc.setInitializationFailTimeout(-1);
    ds = new HikariDataSource(hc);
    Migrations.apply(ds);
    dsl = DSL.using(ds, SQLDialect.POSTGRES);
    tenant = dsl.insertInto(TENANT).set(TENANT.NAME, "outage").set(TENANT.MAX_CONCURRENT_CALLS, 10)
        .set(TENANT.AI_GREETING, "Hello from the outage")
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    dsl.insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, DID_NUMBER).set(DID.TRUNK, "TWILIO").execute();
    realtime = new FakeRealtimeServer();
    realtime.responder = (s, e) -> FakeRealtimeServer.tone(300);
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    realtime.close();
    ds.close();
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void aDegradedCallerTalksToTheAgentAndTheCallRowGetsItsWholeStoryWhenTheDatabaseIsBack() throws Exception {
    Path data = dir.resolve("node");
    try (Asterline app = Asterline.start(config(data))) {
      FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());

      long stopAsked = System.nanoTime();
      stopDatabase();
      long stopped = System.nanoTime();

      FakeAsterisk.Exchange in = asterisk.send(FakeAsterisk.request("inbound").args(DID_NUMBER));
      long answered = System.nanoTime();
      assertThat(in.status()).isEqualTo("DEGRADED");
      assertThat(in.get("ASTERLINE_ROUTE")).isEqualTo("agent");
      UUID call = UUID.fromString(in.get("ASTERLINE_CALL_ID"));

      // the dialplan's Dial(AudioSocket/...): the caller hears the greeting, from the tenant's settings in memory
      int before = realtime.sessions.size();
      RecordingListener heard = new RecordingListener();
      AsteriskAudioSocketClient leg = AsteriskAudioSocketClient.connect(group, audioSocket(in), call, TONE, heard);
      await("the greeting", () -> heard.agentFrames() >= 1);
      long greeting = System.nanoTime();
      log.info("database outage: stop to greeting {} ms (stopping PostgreSQL {} ms, then inbound answered DEGRADED in "
          + "{} ms with agi.db-deadline 300ms, then the greeting's first audio {} ms later)", ms(greeting - stopAsked),
          ms(stopped - stopAsked), ms(answered - stopped), ms(greeting - answered));
      FakeRealtimeServer.Session s = realtime.awaitSession(before, 5000);
      assertThat(s.events("session.update").get(0).path("session").path("instructions").asText())
          .as("the tenant's own settings, not defaults").isNotEmpty();

      // the caller talks, the agent ends the call
      s.callerSaid("I would like to book a table for two");
      s.callFunction("end_call", "{}");
      assertThat(leg.closed.await(10, TimeUnit.SECONDS)).as("the agent ended its leg").isTrue();

      FakeAsterisk.Exchange after = asterisk.send(FakeAsterisk.request("after-agent").args(call.toString()));
      assertThat(after.status()).as("after-agent answers from this node's memory").isEqualTo("OK");
      assertThat(after.get("ASTERLINE_NEXT")).isEqualTo("hangup");

      FakeAsterisk.Exchange end = asterisk.send(FakeAsterisk.request("call-end")
          .args(call.toString(), "ANSWER", "16", "", in.get("ASTERLINE_AUDIOSOCKET")));
      assertThat(end.status()).isEqualTo("DEGRADED");
      assertThat(journalSegments(data)).as("held on disk").isNotEmpty();

      // a caller a moment later: the pool no longer fails fast, inbound waits out agi.db-deadline
      long arrived = System.nanoTime();
      FakeAsterisk.Exchange in2 = asterisk.send(FakeAsterisk.request("inbound").args(DID_NUMBER));
      long answered2 = System.nanoTime();
      assertThat(in2.status()).isEqualTo("DEGRADED");
      UUID call2 = UUID.fromString(in2.get("ASTERLINE_CALL_ID"));
      RecordingListener heard2 = new RecordingListener();
      AsteriskAudioSocketClient leg2 = AsteriskAudioSocketClient.connect(group, audioSocket(in2), call2, TONE, heard2);
      await("the second greeting", () -> heard2.agentFrames() >= 1);
      long greeting2 = System.nanoTime();
      log.info("database outage: a caller while the database does not answer hears the greeting {} ms after the call "
          + "reached inbound (DEGRADED after {} ms, first audio {} ms later)", ms(greeting2 - arrived),
          ms(answered2 - arrived), ms(greeting2 - answered2));
      // this caller hangs up on the agent: the figures are kept, with no decision
      leg2.hangUp();
      assertThat(asterisk.send(FakeAsterisk.request("call-end")
          .args(call2.toString(), "ANSWER", "16", "", in2.get("ASTERLINE_AUDIOSOCKET"))).status()).isEqualTo("DEGRADED");

      startDatabase();
      await("the held writes", () -> journalSegments(data).isEmpty() && row(call) != null
          && "ended".equals(row(call).getState()));
      CallRecord row = row(call);
      assertThat(row.getTenantId()).isEqualTo(tenant);
      assertThat(row.getState()).isEqualTo("ended");
      assertThat(row.getOutcome()).as("the agent took the call").isEqualTo("ANSWER");
      assertThat(row.getAgentDecision()).isEqualTo("hangup");
      assertThat(row.getAgentEndReason()).isEqualTo("end_call");
      assertThat(row.getAgentConnectedAt()).isNotNull();
      assertThat(row.getAnsweredAt()).isEqualTo(row.getAgentConnectedAt());
      assertThat(row.getFirstAudioAt()).isAfterOrEqualTo(row.getAgentConnectedAt());
      assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getFirstAudioAt());
      assertThat(row.getConversation().data()).contains("I would like to book a table for two");

      await("the second call's story", () -> row(call2) != null && "ended".equals(row(call2).getState())
          && row(call2).getAgentEndReason() != null);
      CallRecord row2 = row(call2);
      assertThat(row2.getAgentEndReason()).isEqualTo("caller_hangup");
      assertThat(row2.getAgentDecision()).isNull();
      assertThat(row2.getFirstAudioAt()).isNotNull();
      assertThat(row2.getOutcome()).isEqualTo("ANSWER");
    }
  }

  @Test
  void theOutcomeOfACallTheDatabaseLosesMidCallIsKeptAndAfterAgentStillRoutesIt() throws Exception {
    Path data = dir.resolve("node");
    try (Asterline app = Asterline.start(config(data))) {
      FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
      FakeAsterisk.Exchange in = asterisk.send(FakeAsterisk.request("inbound").args(DID_NUMBER));
      assertThat(in.status()).isEqualTo("OK");
      UUID call = UUID.fromString(in.get("ASTERLINE_CALL_ID"));
      int before = realtime.sessions.size();
      RecordingListener heard = new RecordingListener();
      AsteriskAudioSocketClient leg = AsteriskAudioSocketClient.connect(group, audioSocket(in), call, TONE, heard);
      await("the greeting", () -> heard.agentFrames() >= 1);
      FakeRealtimeServer.Session s = realtime.awaitSession(before, 5000);
      s.callerSaid("Please call me back tomorrow");

      // the database goes away while the caller talks to the agent
      stopDatabase();
      s.callFunction("end_call", "{}");
      assertThat(leg.closed.await(10, TimeUnit.SECONDS)).isTrue();
      FakeAsterisk.Exchange after = asterisk.send(FakeAsterisk.request("after-agent").args(call.toString()));
      assertThat(after.status()).as("the decision this node kept").isEqualTo("OK");
      assertThat(after.get("ASTERLINE_NEXT")).isEqualTo("hangup");
      assertThat(asterisk.send(FakeAsterisk.request("call-end")
          .args(call.toString(), "ANSWER", "16", "", in.get("ASTERLINE_AUDIOSOCKET"))).status()).isEqualTo("DEGRADED");

      startDatabase();
      await("the outcome and the end", () -> journalSegments(data).isEmpty() && row(call) != null
          && "ended".equals(row(call).getState()) && row(call).getAgentEndReason() != null);
      CallRecord row = row(call);
      assertThat(row.getAgentDecision()).isEqualTo("hangup");
      assertThat(row.getAgentEndReason()).isEqualTo("end_call");
      assertThat(row.getFirstAudioAt()).isNotNull();
      assertThat(row.getOutcome()).isEqualTo("ANSWER");
      assertThat(row.getConversation().data()).contains("Please call me back tomorrow");
    }
  }

  @Test
  void writesHeldWhenTheNodeStopsLandExactlyOnceWhenANewNodeStartsOnTheSameDataDirectory() throws Exception {
    Path data = dir.resolve("node");
    UUID first;
    UUID second;
    try (Asterline app = Asterline.start(config(data))) {
      FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
      stopDatabase();
      first = degradedCallEndedByTheCaller(asterisk);
      second = degradedCallEndedByTheCaller(asterisk);
      // the node stops with the database still down: its last flush fails and the writes stay on disk
    }
    assertThat(journalSegments(data)).isNotEmpty();

    startDatabase();
    try (Asterline again = Asterline.start(config(data))) {
      await("the journal replayed", () -> journalSegments(data).isEmpty());
      for (UUID call : List.of(first, second)) {
        assertThat(dsl.fetchCount(CALL, CALL.ID.eq(call))).isEqualTo(1);
        CallRecord row = row(call);
        assertThat(row.getState()).isEqualTo("ended");
        assertThat(row.getOutcome()).isEqualTo("CANCEL");
        assertThat(row.getRecordingFile()).isEqualTo(recording(call));
        // the end reached the recording pipeline once
        assertThat(dsl.fetchCount(RECORDING_JOB, RECORDING_JOB.CALL_ID.eq(call))).isEqualTo(1);
      }
    }
  }

  /** inbound DEGRADED, then the caller hangs up before the agent is dialled (the hangup handler's call-end). */
  private UUID degradedCallEndedByTheCaller(FakeAsterisk asterisk) throws IOException {
    FakeAsterisk.Exchange in = asterisk.send(FakeAsterisk.request("inbound").args(DID_NUMBER));
    assertThat(in.status()).isEqualTo("DEGRADED");
    UUID call = UUID.fromString(in.get("ASTERLINE_CALL_ID"));
    FakeAsterisk.Exchange end = asterisk.send(FakeAsterisk.request("call-end")
        .args(call.toString(), "CANCEL", "16", recording(call), ""));
    assertThat(end.status()).isEqualTo("DEGRADED");
    return call;
  }

  private String recording(UUID call) {
    return dir.resolve("recordings").resolve(tenant + "/" + call + ".wav").toString();
  }

  private AsterlineConfig config(Path data) {
    Map<String, String> o = new HashMap<>();
    o.put("database.url", jdbcUrl());
    o.put("database.user", "postgres");
    o.put("database.password", Database.embeddedPassword(pgDir));
    o.put("database.pool-size", "4");
    // a dead database fails a request's wait for a connection quickly: the stop's last flush and the timers
    o.put("database.connection-timeout", "500ms");
    o.put("data.dir", data.toString());
    o.put("http.port", "0");
    o.put("agi.port", "0");
    o.put("audiosocket.port", "0");
    o.put("mediaws.port", "0");
    o.put("audiosocket.io-threads", "1");
    o.put("agi.db-deadline", "300ms");
    o.put("openai.api-key", "sk-test-outage");
    o.put("realtime.url", realtime.url());
    o.put("recordings.dir", dir.resolve("recordings").toString());
    o.put("recordings.workers", "0");
    o.put("shutdown.grace-period", "1s");
    return AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o));
  }

  private String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
  }

  private void stopDatabase() throws IOException {
    pg.close();
    pg = null;
  }

  private void startDatabase() {
    pg = Database.startEmbedded(pgDir, pgPort);
  }

  private CallRecord row(UUID call) {
    try {
      return dsl.selectFrom(CALL).where(CALL.ID.eq(call)).fetchOne();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static InetSocketAddress audioSocket(FakeAsterisk.Exchange in) {
    String address = in.get("ASTERLINE_AUDIOSOCKET");
    int colon = address.lastIndexOf(':');
    return new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
  }

  private static List<Path> journalSegments(Path data) {
    Path journal = data.resolve("journal");
    if (!Files.isDirectory(journal)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(journal)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".journal")).toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The caller speaking: a 400 Hz tone, 20 ms a frame. */
  private static final AsteriskAudioSocketClient.CallerAudio TONE = new AsteriskAudioSocketClient.CallerAudio() {
    private int sample;

    @Override
    public void next(io.netty.buffer.ByteBuf frame) {
      for (int i = 0; i < 160; i++, sample++) {
        frame.writeShortLE((short) (6000 * Math.sin(2 * Math.PI * 400 * sample / 8000.0)));
      }
    }
  };

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not reached within 30 s");
      }
      Thread.sleep(50);
    }
  }
}
