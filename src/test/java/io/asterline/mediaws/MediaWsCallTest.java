package io.asterline.mediaws;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Calls end to end over Asterisk's WebSocket channel: a client speaking chan_websocket's protocol as Asterisk
 * 22.10.1 does (its queue played at 20 ms a frame, marks answered when played, XOFF/XON at 900/800), the media
 * WebSocket server, the agent, a real PostgreSQL and a local Realtime server speaking the GA events.
 */
class MediaWsCallTest {

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestMediaWsServer server;
  static EventLoopGroup asterisk;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    server = TestMediaWsServer.start(db, fake.url(), Map.of("mediaws.password", "media-secret"));
    asterisk = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    fake.close();
    asterisk.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    db.close();
  }

  @BeforeEach
  void reset() {
    fake.silent = false;
    fake.responder = (s, e) -> FakeRealtimeServer.tone(1000);
  }

  @Test
  void greetingAndCallerAudioPassThroughUlawUntouchedAndAsteriskPacesIt() throws Exception {
    UUID call = call(tenant(t -> t.setAiGreeting("Hello over WebSocket")), c -> {});
    // 1 s of every mu-law code in turn: any transcoding or resampling on the way would change some of them
    byte[] codes = new byte[8000];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) (i * 7 + 3);
    }
    fake.responder = (s, e) -> codes;
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    byte[] callerFrame = new byte[160];
    for (int k = 0; k < 160; k++) {
      callerFrame[k] = (byte) k;
    }
    ws.callerAudio = () -> callerFrame.clone();
    assertThat(ws.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);
    assertThat(ws.acceptedProtocol).isEqualTo("media");

    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    JsonNode update = s.await("session.update", 3000).path("session");
    assertThat(update.at("/audio/input/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(update.at("/audio/output/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(s.await("response.create", 3000).at("/response/instructions").asText()).contains("Hello over WebSocket");

    RecordingListener.await("the whole greeting played", 5000, () -> ws.agentFrames() >= 50);
    byte[] heard = ws.agentAudio();
    int start = indexOf(heard, Arrays.copyOf(codes, 160));
    assertThat(start).as("the greeting's first frame among what the caller heard").isGreaterThanOrEqualTo(0);
    assertThat(Arrays.copyOfRange(heard, start, start + codes.length)).as("the greeting, byte for byte").isEqualTo(codes);
    // Asterisk played it one frame per tick: 50 frames take about a second, not a burst
    List<AsteriskWebSocketChannel.Played> played = ws.heard;
    long spanMs = (played.get(played.size() - 1).nanos() - played.get(0).nanos()) / 1_000_000;
    assertThat(spanMs).isGreaterThanOrEqualTo((played.size() - 1) * 20L - 60);
    // every chunk was followed by a mark, and Asterisk's answers to them came back
    assertThat(ws.commandsNamed("MARK_MEDIA")).isNotEmpty();
    assertThat(ws.eventsSent).anyMatch(e -> e.contains("MEDIA_MARK_PROCESSED"));

    RecordingListener.await("caller audio relayed", 3000, () -> s.appendedAudio().length >= 1600);
    byte[] relayed = s.appendedAudio();
    for (int i = 0; i + 160 <= relayed.length; i += 160) {
      assertThat(Arrays.copyOfRange(relayed, i, i + 160)).as("caller frame at " + i).isEqualTo(callerFrame);
    }

    ws.hangUp();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getAgentEndReason()).isEqualTo("caller_hangup");
    assertThat(row.getFirstAudioAt()).isNotNull();
  }

  @Test
  void bargeInFlushesAsterisksQueueAndTruncatesToWhatTheMarksSayWasPlayed() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(6000);
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("a second of the greeting", 5000, () -> ws.agentFrames() >= 50);
    assertThat(ws.queueLength()).as("Asterisk holds the rest of the answer").isGreaterThan(100);

    int playedBefore = ws.agentFrames();
    s.speechStarted();
    JsonNode truncate = s.await("conversation.item.truncate", 3000);
    int playedAtFlush = ws.agentFrames();
    RecordingListener.await("FLUSH_MEDIA", 1000, () -> !ws.commandsNamed("FLUSH_MEDIA").isEmpty());
    Thread.sleep(200);
    int afterStop = ws.agentFrames();
    assertThat(afterStop - playedAtFlush).as("frames played after the flush").isLessThanOrEqualTo(3);
    // only the silence Asterline keeps queued so the caller's RTP never stops (at most 80 ms)
    assertThat(ws.queueLength()).isLessThanOrEqualTo(5);
    assertThat(truncate.path("item_id").asText()).isEqualTo(s.lastItem);
    // what the caller heard of the item: the frames Asterisk played, within a frame or two of timing
    assertThat(truncate.path("audio_end_ms").asLong()).isBetween(playedBefore * 20L - 40, playedAtFlush * 20L + 40);
    Thread.sleep(300);
    assertThat(ws.agentFrames()).as("nothing more of the interrupted answer").isEqualTo(afterStop);

    ws.hangUp();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getBargeInCount()).isEqualTo(1);
    assertThat(row.getBargeInMaxStopMs()).isNotNull().isBetween(0, 100);
  }

  @Test
  void xoffHoldsTheAgentsAudioInAsterlineUntilXon() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    // 19 s of answer: more than Asterline sends ahead (15 s), enough to reach MEDIA_XOFF (900 frames, 18 s)
    fake.responder = (s, e) -> FakeRealtimeServer.tone(19_000);
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    // Asterisk's core stops reading the channel (a stuck bridge): its queue only grows
    ws.paused = true;
    fake.awaitSession(index, 3000);
    RecordingListener.await("Asterline's own window of 15 s", 3000, () -> ws.framesQueued >= 750);
    assertThat(ws.framesQueued).as("not the whole answer at once").isLessThan(900);
    RecordingListener.await("MEDIA_XOFF", 8000, () -> ws.eventsSent.stream().anyMatch(e -> e.contains("MEDIA_XOFF")));
    Thread.sleep(500);
    int queued = ws.framesQueued;
    Thread.sleep(300);
    assertThat(ws.framesQueued).as("nothing sent while XOFF").isEqualTo(queued);
    assertThat(ws.queueLength()).isBetween(900, 999);
    assertThat(ws.messagesDropped).isZero();

    ws.paused = false;
    RecordingListener.await("MEDIA_XON", 5000, () -> ws.eventsSent.stream().anyMatch(e -> e.contains("MEDIA_XON")));
    RecordingListener.await("the rest of the answer after XON", 8000, () -> ws.framesQueued >= 950);
    Thread.sleep(200);
    assertThat(ws.framesQueued).as("every frame of the answer reached Asterisk once").isEqualTo(950);
    assertThat(ws.messagesDropped).isZero();
    ws.hangUp();
    awaitRow(call, r -> r.getAgentEndReason() != null);
  }

  @Test
  void whileTheAgentIsQuietAsteriskStillHasSilenceToPlaySoTheCallersRtpNeverStops() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    fake.awaitSession(index, 3000);
    RecordingListener.await("the short greeting", 5000, () -> ws.agentFrames() >= 10);
    Thread.sleep(300);
    int before = ws.heard.size();
    Thread.sleep(1000);
    // a frame every tick (the channel played one every 20 ms): about 50 in the second, none of them agent audio
    // a snapshot: the channel's tick goes on adding to the list, and a live view of it fails when it does
    List<AsteriskWebSocketChannel.Played> heard = List.copyOf(ws.heard);
    assertThat(heard.size() - before).isGreaterThanOrEqualTo(40);
    assertThat(heard.subList(before, heard.size())).allMatch(p -> AsteriskWebSocketChannel.isSilence(p.audio()));
    ws.hangUp();
    awaitRow(call, r -> r.getAgentEndReason() != null);
  }

  @Test
  void malformedControlMessageHangsUpTheLegSoTheCallFallsBack() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    ws.sendText("{\"event\":\"MEDIA_MARK_PROCESSED\",\"correlation_id\":");
    RecordingListener.await("HANGUP", 2000, () -> !ws.commandsNamed("HANGUP").isEmpty());
    assertThat(ws.closed.get(3, TimeUnit.SECONDS)).isNotNull();
    RecordingListener.await("the Realtime session closed", 3000, () -> s.closedByClient);
    // the operator reading the call sees the leg broke here, not that the caller hung up
    assertThat(awaitRow(call, r -> r.getAgentEndReason() != null).getAgentEndReason()).isEqualTo("media_error");
  }

  @Test
  void unknownCallIdIsHungUpWithoutASession() throws Exception {
    int sessions = fake.sessions.size();
    UUID unknown = UUID.randomUUID();
    AsteriskWebSocketChannel ws = dial(unknown, true);
    assertThat(ws.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);
    RecordingListener.await("HANGUP", 3000, () -> !ws.commandsNamed("HANGUP").isEmpty());
    assertThat(ws.closed.get(3, TimeUnit.SECONDS)).isNotNull();
    assertThat(fake.sessions).hasSize(sessions);
  }

  @Test
  void wrongPasswordOrGarbledCallIdIsRefusedBeforeTheUpgrade() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    AsteriskWebSocketChannel wrong = AsteriskWebSocketChannel.dial(asterisk, address(), call.toString(),
        "asterisk:guess", true, call, Map.of());
    assertThat(wrong.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(401);
    AsteriskWebSocketChannel none = AsteriskWebSocketChannel.dial(asterisk, address(), call.toString(), null, true,
        call, Map.of());
    assertThat(none.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(401);
    AsteriskWebSocketChannel garbled = AsteriskWebSocketChannel.dial(asterisk, address(), "not-a-uuid",
        "asterisk:media-secret", true, call, Map.of());
    assertThat(garbled.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(400);
  }

  @Test
  void theChannelsOwnCallIdWinsOverASwappedUriParameter() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    UUID other = call(tenant(t -> {}), c -> {});
    int index = fake.sessions.size();
    // Asterisk's shared connection object let another call's v(call=...) in: the channel variable is right
    AsteriskWebSocketChannel ws = AsteriskWebSocketChannel.dial(asterisk, address(), other.toString(),
        "asterisk:media-secret", true, call, Map.of("__ASTERLINE_CALL_ID", call.toString()));
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    ws.hangUp();
    assertThat(awaitRow(call, r -> r.getAgentEndReason() != null).getAgentEndReason()).isEqualTo("caller_hangup");
    assertThat(db.dsl().fetchOne(CALL, CALL.ID.eq(other)).getAgentEndReason()).isNull();
  }

  @Test
  void plainTextControlMessagesWorkAsWellAsJson() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    int index = fake.sessions.size();
    // dialled without f(json): MEDIA_START in plain text carries no variables, the URI names the call
    AsteriskWebSocketChannel ws = dial(call, false);
    fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> ws.agentFrames() >= 10);
    assertThat(ws.commandsNamed("MARK_MEDIA")).isNotEmpty().allMatch(c -> c.startsWith("MARK_MEDIA "));
    assertThat(ws.eventsSent).anyMatch(e -> e.startsWith("MEDIA_MARK_PROCESSED "));
    ws.hangUp();
    awaitRow(call, r -> r.getAgentEndReason() != null);
  }

  @Test
  void keysReachTheModelAndTheAgentsHangupEndsTheLegAfterItsLastWords() throws Exception {
    UUID call = call(tenant(t -> {}), c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    AsteriskWebSocketChannel ws = dial(call, true);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> ws.agentFrames() >= 10);

    ws.dtmf('4');
    ws.dtmf('2');
    JsonNode keys = s.await("conversation.item.create", 3000);
    assertThat(keys.toString()).contains("4 2");

    fake.responder = (x, e) -> FakeRealtimeServer.tone(600);
    s.callFunction("end_call", "{\"reason\":\"done\"}");
    RecordingListener.await("HANGUP", 5000, () -> !ws.commandsNamed("HANGUP").isEmpty());
    assertThat(ws.closed.get(5, TimeUnit.SECONDS)).isNotNull();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getAgentEndReason()).isEqualTo("end_call");
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
  }

  // ------------------------------------------------------------------ helpers

  static InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  static AsteriskWebSocketChannel dial(UUID call, boolean json) throws InterruptedException {
    // the dialplan's __ASTERLINE_CALL_ID, inherited by the WebSocket channel, reaches MEDIA_START in JSON
    return AsteriskWebSocketChannel.dial(asterisk, address(), call.toString(), "asterisk:media-secret", json, call,
        json ? Map.of("__ASTERLINE_CALL_ID", call.toString()) : Map.of());
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static long tenant(Consumer<TenantRecord> settings) {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    settings.accept(t);
    t.store();
    return t.getId();
  }

  static UUID call(long tenant, Consumer<CallRecord> settings) {
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection("inbound");
    c.setState("answered");
    settings.accept(c);
    c.store();
    return c.getId();
  }

  static CallRecord awaitRow(UUID call, java.util.function.Predicate<CallRecord> condition) throws InterruptedException {
    CallRecord[] row = new CallRecord[1];
    RecordingListener.await("the call row", 5000, () -> {
      row[0] = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
      return condition.test(row[0]);
    });
    return row[0];
  }
}
