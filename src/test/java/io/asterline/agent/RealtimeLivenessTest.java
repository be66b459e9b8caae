package io.asterline.agent;

import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.audiosocket.TestAudioSocketServer;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Realtime upstream that stops talking with its TCP connection still open (a stopped process, a wedged proxy)
 * must not leave the caller in silence: the session is failed once it owes something and says nothing for
 * {@code realtime.liveness-timeout}, or ignores a ping while the conversation is quiet, and the caller goes to the
 * tenant's fallback.
 */
class RealtimeLivenessTest {

  static final long LIVENESS_MS = 800;
  static final long PING_MS = 400;

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestAudioSocketServer server;
  static EventLoopGroup asterisk;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    server = TestAudioSocketServer.start(db, fake.url(), Map.of("realtime.liveness-timeout", LIVENESS_MS + "ms",
        "realtime.ping-interval", PING_MS + "ms"));
    asterisk = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    fake.close();
    asterisk.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    db.close();
  }

  @AfterEach
  void unstall() {
    fake.stalled = false;
    fake.responder = (s, e) -> FakeRealtimeServer.tone(1000);
  }

  @Test
  void anUpstreamThatStallsWhileOwingAnAnswerSendsTheCallerToTheFallback() throws Exception {
    UUID call = call(tenant("voicemail"));
    fake.responder = (s, e) -> FakeRealtimeServer.tone(300);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> heard.agentFrames() >= 10);
    // the caller's turn ends (server VAD), so the server owes the answer; then it wedges
    fake.stalled = true;
    s.push(fake.event("input_audio_buffer.speech_started").put("audio_start_ms", 100).put("item_id", "item_in"));
    s.push(fake.event("input_audio_buffer.speech_stopped").put("audio_end_ms", 900).put("item_id", "item_in"));
    long stalledAt = System.nanoTime();

    assertThat(client.awaitClosed(LIVENESS_MS + 2500)).as("the agent leg ends").isTrue();
    double afterDeadlineMs = (heard.hangupNanos - stalledAt) / 1e6 - LIVENESS_MS;
    assertThat(afterDeadlineMs).as("fallback within 2 s of the liveness deadline").isBetween(-50.0, 2000.0);
    CallRecord row = awaitRow(call);
    assertThat(row.getAgentDecision()).as("the tenant's fallback").isEqualTo("voicemail");
    assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
  }

  @Test
  void aQuietUpstreamThatIgnoresPingsIsFailedToo() throws Exception {
    UUID call = call(tenant("hangup"));
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting to end", 5000,
        () -> heard.agentFrames() >= 10 && heard.snapshot().get(heard.snapshot().size() - 1).silent());
    // nothing is owed now: only a ping can tell a wedged server from a quiet one
    int pingsBefore = fake.pings.get();
    fake.stalled = true;
    long stalledAt = System.nanoTime();

    assertThat(client.awaitClosed(PING_MS + LIVENESS_MS + 2500)).as("the agent leg ends").isTrue();
    assertThat(fake.pings.get()).as("a ping was sent").isGreaterThan(pingsBefore);
    assertThat((heard.hangupNanos - stalledAt) / 1e6).isLessThan(PING_MS + LIVENESS_MS + 2000.0);
    CallRecord row = awaitRow(call);
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
    assertThat(s.closedByClient || !client.isOpen()).isTrue();
  }

  @Test
  void aQuietHealthyUpstreamAnswersPingsAndTheCallGoesOn() throws Exception {
    UUID call = call(tenant("hangup"));
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, heard);
    fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> heard.agentFrames() >= 10);
    int pingsBefore = fake.pings.get();

    Thread.sleep(3 * (PING_MS + LIVENESS_MS));
    assertThat(client.isOpen()).as("a quiet conversation with a live upstream is not ended").isTrue();
    assertThat(fake.pings.get() - pingsBefore).as("the quiet session was pinged").isGreaterThanOrEqualTo(2);
    client.hangUp();
    assertThat(client.awaitClosed(3000)).isTrue();
  }

  // ------------------------------------------------------------------ helpers

  static AsteriskAudioSocketClient connect(UUID call, RecordingListener heard) throws InterruptedException {
    return AsteriskAudioSocketClient.connect(asterisk, new InetSocketAddress("127.0.0.1", server.port()), call,
        AsteriskAudioSocketClient.SILENCE, heard);
  }

  static long tenant(String fallback) {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    t.setAiFallback(fallback);
    t.setSilenceTimeoutMs(60_000);
    t.store();
    return t.getId();
  }

  static UUID call(long tenant) {
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection("inbound");
    c.setState("answered");
    c.store();
    return c.getId();
  }

  static CallRecord awaitRow(UUID call) throws InterruptedException {
    CallRecord[] row = new CallRecord[1];
    RecordingListener.await("the agent's decision stored", 5000, () -> {
      row[0] = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
      return row[0].getAgentDecision() != null;
    });
    return row[0];
  }
}
