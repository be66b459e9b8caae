package io.asterline.agent;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.audiosocket.TestAudioSocketServer;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.http.HealthCheck;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.realtime.MuLaw;
import io.asterline.secrets.SecretBox;
import io.asterline.secrets.SecretsConfig;
import io.asterline.tenant.TenantApiKeys;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.HashMap;
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
 * Calls end to end over real sockets: an Asterisk-like AudioSocket client pacing 20 ms frames, the AudioSocket
 * server, a real PostgreSQL, and a local Realtime server speaking the GA events.
 */
class AgentCallTest {

  static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestAudioSocketServer server;
  static EventLoopGroup asterisk;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    server = server(fake.url(), Map.of());
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

  static TestAudioSocketServer server(String realtimeUrl, Map<String, String> overrides) {
    Map<String, String> o = new HashMap<>(Map.of("secrets.key", SECRETS_KEY));
    o.putAll(overrides);
    return TestAudioSocketServer.start(db, realtimeUrl, o);
  }

  // ------------------------------------------------------------------ greeting, audio, pacing

  @Test
  void greetingArrivesPacedAndAudioRoundTripsExactlyBothWays() throws Exception {
    long tenant = tenant(t -> t.setAiGreeting("Hello from the test").setAiVoice("cedar").setAiLanguage("de")
        .setAiInstructions("Be brief."));
    UUID call = call(tenant, "inbound", c -> {});
    byte[] codes = new byte[8000];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) (i * 7 + 3);
    }
    fake.responder = (s, e) -> codes;
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    // one 20 ms frame whose samples are exactly the decoded values of mu-law codes 0..159
    AsteriskAudioSocketClient client = connect(call, frame -> {
      for (int k = 0; k < 160; k++) {
        frame.writeShortLE(MuLaw.decode((byte) k));
      }
    }, heard);

    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    assertThat(s.authorization).isEqualTo("Bearer sk-test-123");
    assertThat(s.path).contains("model=gpt-realtime");
    JsonNode update = s.await("session.update", 3000).path("session");
    assertThat(update.path("type").asText()).isEqualTo("realtime");
    assertThat(update.path("instructions").asText()).startsWith("Be brief.").contains("'de'");
    assertThat(update.at("/audio/input/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(update.at("/audio/output/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(update.at("/audio/output/voice").asText()).isEqualTo("cedar");
    assertThat(update.at("/audio/input/transcription/model").asText()).isEqualTo("gpt-4o-mini-transcribe");
    assertThat(update.at("/audio/input/transcription/language").asText()).isEqualTo("de");
    JsonNode vad = update.at("/audio/input/turn_detection");
    assertThat(vad.path("type").asText()).isEqualTo("server_vad");
    assertThat(vad.path("threshold").asDouble()).isEqualTo(0.5);
    assertThat(vad.path("prefix_padding_ms").asInt()).isEqualTo(300);
    assertThat(vad.path("silence_duration_ms").asInt()).isEqualTo(500);
    assertThat(vad.path("create_response").asBoolean()).isTrue();
    assertThat(vad.path("interrupt_response").asBoolean()).isTrue();
    assertThat(vad.has("idle_timeout_ms")).isTrue();
    assertThat(update.path("tools").findValuesAsText("name")).contains("end_call", "transfer_call");
    assertThat(s.await("response.create", 3000).at("/response/instructions").asText()).contains("Hello from the test");

    RecordingListener.await("one second of agent audio", 5000, () -> heard.agentFrames() >= 50);
    byte[] slin = heard.agentAudio();
    for (int i = 0; i < codes.length; i++) {
      short got = (short) ((slin[2 * i] & 0xFF) | (slin[2 * i + 1] << 8));
      assertThat(got).as("sample %d", i).isEqualTo(MuLaw.decode(codes[i]));
    }

    RecordingListener.await("caller audio upstream", 3000, () -> s.appendedAudio().length >= 640);
    byte[] up = s.appendedAudio();
    for (int j = 0; j < up.length; j++) {
      int k = j % 160;
      assertThat(up[j]).as("caller byte %d", j).isEqualTo(k == 0x7F ? (byte) 0xFF : (byte) k);
    }

    RecordingListener.await("silence after the greeting", 3000,
        () -> heard.snapshot().size() > 75 && heard.snapshot().get(heard.snapshot().size() - 1).silent());
    List<RecordingListener.Frame> frames = heard.snapshot();
    assertThat(frames).allSatisfy(f -> {
      assertThat(f.kind()).isEqualTo(Kind.AUDIO);
      assertThat(f.length()).isEqualTo(320);
    });
    // a steady 20 ms clock: 50 frames span one second (no drift, no burst), no gap near Asterisk's 2 s limit
    int n = frames.size();
    assertThat(n).isGreaterThan(60);
    double spanMs = (frames.get(n - 1).nanos() - frames.get(n - 51).nanos()) / 1e6;
    assertThat(spanMs).isBetween(850.0, 1200.0);
    for (int i = 1; i < n; i++) {
      assertThat((frames.get(i).nanos() - frames.get(i - 1).nanos()) / 1e6).isLessThan(250.0);
    }

    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getState()).isEqualTo("connected");
    assertThat(row.getAgentConnectedAt()).isNotNull();

    client.hangUp();
    awaitRow(call, r -> "caller_hangup".equals(r.getAgentEndReason()));
    row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getFirstAudioAt()).isNotNull();
    assertThat(row.getAgentDecision()).isNull();
    assertThat(row.getConversation().data()).contains("\"agent\"").contains("Hello from the test");
    RecordingListener.await("the WebSocket closed by the call's end", 3000, () -> s.closedByClient);
  }

  @Test
  void callsSharingAnEventLoopKeepTheirPaceWhileOthersJoinAndHangUp() throws Exception {
    // the test server has one event loop: every call here shares its 20 ms clock
    fake.responder = (s, e) -> FakeRealtimeServer.tone(400);
    RecordingListener first = new RecordingListener();
    RecordingListener second = new RecordingListener();
    RecordingListener third = new RecordingListener();
    AsteriskAudioSocketClient a = connect(call(tenant(t -> {}), "inbound", c -> {}), AsteriskAudioSocketClient.SILENCE, first);
    AsteriskAudioSocketClient b = connect(call(tenant(t -> {}), "inbound", c -> {}), AsteriskAudioSocketClient.SILENCE, second);
    RecordingListener.await("both calls under way", 5000, () -> second.snapshot().size() >= 25);
    AsteriskAudioSocketClient c = connect(call(tenant(t -> {}), "inbound", x -> {}), AsteriskAudioSocketClient.SILENCE, third);
    RecordingListener.await("the third call under way", 5000, () -> third.snapshot().size() >= 10);
    a.hangUp();
    int atHangup = second.snapshot().size();
    RecordingListener.await("a second more of the others", 5000,
        () -> second.snapshot().size() >= atHangup + 50 && third.snapshot().size() >= 60);

    for (RecordingListener heard : List.of(second, third)) {
      List<RecordingListener.Frame> frames = heard.snapshot();
      assertThat(frames).allSatisfy(f -> assertThat(f.length()).isEqualTo(320));
      assertThat(heard.agentFrames()).as("the greeting was played").isGreaterThanOrEqualTo(15);
      int n = frames.size();
      // no frame lost or doubled around the others' arrivals and hangups: 50 frames a second, never a gap
      double spanMs = (frames.get(n - 1).nanos() - frames.get(n - 51).nanos()) / 1e6;
      assertThat(spanMs).isBetween(850.0, 1200.0);
      for (int i = 1; i < n; i++) {
        assertThat((frames.get(i).nanos() - frames.get(i - 1).nanos()) / 1e6).isLessThan(250.0);
      }
    }
    b.hangUp();
    c.hangUp();
  }

  // ------------------------------------------------------------------ barge-in

  @Test
  void bargeInStopsTheAgentWithinAFrameAndTruncatesToWhatWasPlayed() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(4000);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("half a second of greeting", 5000, () -> heard.agentFrames() >= 25);

    long sent = System.nanoTime();
    s.speechStarted();
    JsonNode truncate = s.await("conversation.item.truncate", 3000);
    RecordingListener.await("the agent to stop", 1000, () -> heard.snapshot().get(heard.snapshot().size() - 1).silent());
    Thread.sleep(100);

    // one frame may be on its way and one tick may run before the event is handled; never the rest of the answer
    assertThat(heard.agentFramesAfter(sent)).as("agent frames after speech started").isLessThanOrEqualTo(3);
    assertThat(truncate.path("item_id").asText()).isEqualTo(s.lastItem);
    assertThat(truncate.path("content_index").asInt()).isZero();
    long playedMs = heard.agentFrames() * 20L;
    assertThat(truncate.path("audio_end_ms").asLong()).isBetween(playedMs - 20, playedMs + 20);
    // nothing more of the interrupted answer is played
    int afterStop = heard.agentFrames();
    Thread.sleep(200);
    assertThat(heard.agentFrames()).isEqualTo(afterStop);

    client.hangUp();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getBargeInCount()).isEqualTo(1);
    // measured in the server from the event's arrival to the first frame without agent audio: one tick
    assertThat(row.getBargeInMaxStopMs()).isNotNull().isBetween(0, 100);
  }

  // ------------------------------------------------------------------ tools and DTMF

  @Test
  void endCallToolStoresTheDecisionThenHangsUp() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> heard.agentFrames() >= 10);

    s.callFunction("end_call", "{\"reason\":\"done\"}");
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    JsonNode output = s.await("conversation.item.create", 2000);
    assertThat(output.at("/item/type").asText()).isEqualTo("function_call_output");
    assertThat(output.at("/item/output").asText()).contains("\"ok\":true");
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    // stored before 0x00 left: the after-agent script reads it right away
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getAgentEndReason()).isEqualTo("end_call");
  }

  @Test
  void transferGoesOnlyToAllowedNumbers() throws Exception {
    long tenant = tenant(t -> t.setTransferNumber("+4930123456"));
    UUID call = call(tenant, "outbound", c -> c.setAllowedTransferNumbers(new String[] {"+4940111222"}));
    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);

    s.callFunction("transfer_call", "{\"number\":\"+19995550000\"}");
    JsonNode refused = s.await("conversation.item.create", 2000);
    assertThat(refused.at("/item/output").asText()).contains("\"ok\":false").contains("not allowed");
    // the model gets to answer after the refusal
    RecordingListener.await("a second response", 2000, () -> s.events("response.create").size() >= 2);
    assertThat(client.isOpen()).isTrue();

    s.callFunction("transfer_call", "{\"number\":\"+4940111222\",\"reason\":\"sales\"}");
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("transfer");
    assertThat(row.getTransferTo()).isEqualTo("+4940111222");
  }

  @Test
  void transferWithoutNumberUsesTheTenantsLine() throws Exception {
    UUID call = call(tenant(t -> t.setTransferNumber("+4930123456")), "inbound", c -> {});
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    s.callFunction("transfer_call", "{}");
    assertThat(client.awaitClosed(4000)).isTrue();
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("transfer");
    assertThat(row.getTransferTo()).isEqualTo("+4930123456");
    assertThat(row.getAgentEndReason()).isEqualTo("transfer");
  }

  @Test
  void dtmfReachesTheModelAsAUserMessage() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    Thread.sleep(200);
    client.dtmf('4');
    client.dtmf('2');
    client.dtmf('#');
    JsonNode message = s.await("conversation.item.create", 3000);
    assertThat(message.at("/item/role").asText()).isEqualTo("user");
    assertThat(message.at("/item/content/0/type").asText()).isEqualTo("input_text");
    assertThat(message.at("/item/content/0/text").asText()).contains("4 2 #");
    RecordingListener.await("a response to the keys", 2000, () -> s.events("response.create").size() >= 2);
    client.hangUp();
  }

  @Test
  void theTenantsOwnKeyIsReadDecryptedWhetherStoredEncryptedOrInPlainTextFromBefore() throws Exception {
    TenantApiKeys keys = new TenantApiKeys(db.dsl(),
        new SecretBox(SecretsConfig.from(Settings.of(Map.of(), Map.of(), Map.of("secrets.key", SECRETS_KEY)))));
    long sealed = tenant(t -> {});
    db.dsl().update(TENANT).set(TENANT.OPENAI_API_KEY, keys.seal(sealed, "sk-tenant-sealed-0001"))
        .where(TENANT.ID.eq(sealed)).execute();
    long legacy = tenant(t -> t.setOpenaiApiKey("sk-tenant-legacy-0002"));
    assertThat(db.dsl().fetchValue(TENANT.OPENAI_API_KEY, TENANT.ID.eq(sealed))).startsWith("enc:v1:")
        .doesNotContain("sk-tenant");

    for (Map.Entry<Long, String> expected : Map.of(sealed, "Bearer sk-tenant-sealed-0001",
        legacy, "Bearer sk-tenant-legacy-0002").entrySet()) {
      int index = fake.sessions.size();
      AsteriskAudioSocketClient client = connect(call(expected.getKey(), "inbound", c -> {}),
          AsteriskAudioSocketClient.SILENCE, new RecordingListener());
      FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
      assertThat(s.authorization).isEqualTo(expected.getValue());
      client.hangUp();
    }
  }

  @Test
  void aKeyStoredWithAnotherSecretsKeyEndsTheLegInsteadOfUsingTheServicesKey() throws Exception {
    TenantApiKeys otherNode = new TenantApiKeys(db.dsl(), new SecretBox(SecretsConfig.from(Settings.of(Map.of(),
        Map.of(), Map.of("secrets.key", "HyAfHh0cGxoZGBcWFRQTEhEQDw4NDAsKCQgHBgUEAwI=")))));
    long tenant = tenant(t -> {});
    db.dsl().update(TENANT).set(TENANT.OPENAI_API_KEY, otherNode.seal(tenant, "sk-tenant-elsewhere"))
        .where(TENANT.ID.eq(tenant)).execute();
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    connect(call(tenant, "inbound", c -> {}), AsteriskAudioSocketClient.SILENCE, heard);
    RecordingListener.await("the leg hung up", 3000, () -> heard.hangupNanos != 0 || heard.closedNanos != 0);
    assertThat(fake.sessions.size()).as("no Realtime session on the service's account").isEqualTo(index);
  }

  // ------------------------------------------------------------------ upstream failures

  @Test
  void refusedUpstreamFallsBackWithinTwoSeconds() throws Exception {
    int closedPort;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = ss.getLocalPort();
    }
    try (TestAudioSocketServer refused = server("ws://127.0.0.1:" + closedPort + "/v1/realtime", Map.of())) {
      assertThat(refused.realtimeHealth().check().state()).isEqualTo(HealthCheck.State.UP);
      UUID call = call(tenant(t -> t.setTransferNumber("+4930999000")), "inbound", c -> {});
      RecordingListener heard = new RecordingListener();
      long start = System.nanoTime();
      AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
          new InetSocketAddress("127.0.0.1", refused.port()), call, AsteriskAudioSocketClient.SILENCE, heard);
      assertThat(client.awaitClosed(2500)).isTrue();
      assertThat(heard.hangupNanos).isNotZero();
      assertThat((heard.hangupNanos - start) / 1e6).isLessThan(2000.0);
      CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
      assertThat(row.getAgentDecision()).isEqualTo("transfer");
      assertThat(row.getTransferTo()).isEqualTo("+4930999000");
      assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
      // operators see it: /health's realtime part (and its metric) turns down
      assertThat(refused.realtimeHealth().check().state()).isEqualTo(HealthCheck.State.DOWN);
      assertThat(refused.realtimeHealth().check().detail()).contains("connect");
    }
    assertNoWebSocketThreadsLeft();
  }

  @Test
  void slowUpstreamFallsBackAfterTheConnectTimeout() throws Exception {
    fake.silent = true;
    UUID call = call(tenant(t -> t.setAiFallback("voicemail")), "inbound", c -> {});
    RecordingListener heard = new RecordingListener();
    long start = System.nanoTime();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    assertThat(client.awaitClosed(3500)).isTrue();
    double ms = (heard.hangupNanos - start) / 1e6;
    assertThat(ms).isBetween(1900.0, 3000.0);
    // silence kept the leg alive meanwhile: Asterisk would hang up after 2 s without frames
    assertThat(heard.snapshot().stream().filter(f -> f.kind() == Kind.AUDIO).count()).isGreaterThan(50);
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("voicemail");
    assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
  }

  @Test
  void upstreamClosingMidCallFallsBack() throws Exception {
    UUID call = call(tenant(t -> t.setAiFallback("hangup")), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(5000);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> heard.agentFrames() >= 5);
    long closedAt = System.nanoTime();
    s.close(1011);
    assertThat(client.awaitClosed(2500)).isTrue();
    assertThat((heard.hangupNanos - closedAt) / 1e6).isLessThan(2000.0);
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
    assertNoWebSocketThreadsLeft();
  }

  @Test
  void fatalErrorFallsBackAndKeysNeverReachTheLog() throws Exception {
    UUID call = call(tenant(t -> t.setTransferNumber("+4930111000")), "inbound", c -> {});
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    long at = System.nanoTime();
    s.error("invalid_request_error", "session_expired", "Your session hit the maximum duration (key sk-test-123)");
    assertThat(client.awaitClosed(2500)).isTrue();
    assertThat((heard.hangupNanos - at) / 1e6).isLessThan(2000.0);
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("transfer");
    assertThat(row.getAgentEndReason()).isEqualTo("upstream_failure");
  }

  @Test
  void nonFatalErrorKeepsTheCall() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    s.error("invalid_request_error", "invalid_value", "bad field");
    assertThat(client.awaitClosed(500)).isFalse();
    client.hangUp();
  }

  @Test
  void stoppingTheServiceSendsCallsInProgressToTheirFallback() throws Exception {
    TestAudioSocketServer stopping = server(fake.url(), Map.of());
    UUID call = call(tenant(t -> t.setAiFallback("voicemail")), "inbound", c -> {});
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
        new InetSocketAddress("127.0.0.1", stopping.port()), call, AsteriskAudioSocketClient.SILENCE, heard);
    fake.awaitSession(index, 3000).await("response.create", 3000);
    stopping.close();
    assertThat(client.awaitClosed(1000)).isTrue();
    assertThat(heard.hangupNanos).as("0x00, not a dropped socket").isNotZero();
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("voicemail");
    assertThat(row.getAgentEndReason()).isEqualTo("shutdown");
  }

  @Test
  void noApiKeyAnywhereFallsBackAtOnce() throws Exception {
    try (TestAudioSocketServer keyless = server(fake.url(), Map.of("openai.api-key", ""))) {
      UUID call = call(tenant(t -> t.setTransferNumber("+4930555000")), "inbound", c -> {});
      int sessions = fake.sessions.size();
      RecordingListener heard = new RecordingListener();
      AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
          new InetSocketAddress("127.0.0.1", keyless.port()), call, AsteriskAudioSocketClient.SILENCE, heard);
      assertThat(client.awaitClosed(2000)).isTrue();
      assertThat(fake.sessions).hasSize(sessions);
      CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
      assertThat(row.getAgentDecision()).isEqualTo("transfer");
      assertThat(row.getAgentEndReason()).isEqualTo("no_api_key");
    }
  }

  @Test
  void theTenantsOwnKeyIsUsed() throws Exception {
    UUID call = call(tenant(t -> t.setOpenaiApiKey("sk-tenant-own")), "inbound", c -> {});
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
    assertThat(fake.awaitSession(index, 3000).authorization).isEqualTo("Bearer sk-tenant-own");
    client.hangUp();
  }

  @Test
  void aCallerHangingUpDuringTheHandshakeLeavesNoSessionOpen() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    int index = fake.sessions.size();
    int handshakes = fake.handshakes.get();
    fake.handshakeDelayMillis = 600;
    try {
      AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
      RecordingListener.await("the WebSocket handshake to start", 3000, () -> fake.handshakes.get() > handshakes);
      client.hangUp();
      // the handshake completes after the call ended: an open session would keep two threads and a billed
      // OpenAI session alive
      FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
      RecordingListener.await("the Realtime session to be closed", 3000, () -> s.closedByClient);
      assertThat(s.events("session.update")).isEmpty();
      assertNoWebSocketThreadsLeft();
    } finally {
      fake.handshakeDelayMillis = 0;
    }
  }

  // ------------------------------------------------------------------ protocol

  @Test
  void unknownCallIdGetsACleanHangup() throws Exception {
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(UUID.randomUUID(), AsteriskAudioSocketClient.SILENCE, heard);
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
  }

  @Test
  void afterTheHangupFrameAsteriskMayStillSendUntilItCloses() throws Exception {
    // Asterisk keeps writing audio until it has read the 0x00; a full close would answer that with a reset
    try (java.net.Socket asteriskSide = new java.net.Socket("127.0.0.1", server.port())) {
      java.io.OutputStream out = asteriskSide.getOutputStream();
      java.io.DataInputStream in = new java.io.DataInputStream(asteriskSide.getInputStream());
      byte[] uuid = new byte[19];
      uuid[0] = 0x01;
      uuid[2] = 16;
      java.nio.ByteBuffer.wrap(uuid, 3, 16).putLong(1).putLong(2);
      out.write(uuid);
      asteriskSide.setSoTimeout(3000);
      int kind;
      do {
        kind = in.readUnsignedByte();
        in.readFully(new byte[in.readUnsignedShort()]);
      } while (kind == 0x10);
      assertThat(kind).as("the unknown call gets 0x00").isZero();
      byte[] frame = new byte[323];
      frame[0] = 0x10;
      frame[1] = 0x01;
      frame[2] = 0x40;
      for (int i = 0; i < 5; i++) {
        Thread.sleep(50);
        out.write(frame);
        out.flush();
      }
      assertThat(in.read()).as("end of stream, not a reset").isEqualTo(-1);
    }
  }

  @Test
  void garbageClosesOnlyItsOwnConnection() throws Exception {
    UUID call = call(tenant(t -> {}), "inbound", c -> {});
    RecordingListener good = new RecordingListener();
    AsteriskAudioSocketClient healthy = connect(call, AsteriskAudioSocketClient.SILENCE, good);
    RecordingListener.await("the healthy call's frames", 3000, () -> good.snapshot().size() > 5);

    AsteriskAudioSocketClient unknownKind = connect(null, null, new RecordingListener());
    unknownKind.raw(new byte[] {0x02, 0x00, 0x06, '1', 0, 0, 0, 0, 0});
    AsteriskAudioSocketClient audioFirst = connect(null, null, new RecordingListener());
    audioFirst.raw((byte) 0x10, (byte) 0x00, (byte) 0x02, (byte) 0, (byte) 0);
    AsteriskAudioSocketClient shortUuid = connect(null, null, new RecordingListener());
    shortUuid.raw((byte) 0x01, (byte) 0x00, (byte) 0x02, (byte) 1, (byte) 2);
    assertThat(unknownKind.awaitClosed(2000)).isTrue();
    assertThat(audioFirst.awaitClosed(2000)).isTrue();
    assertThat(shortUuid.awaitClosed(2000)).isTrue();

    int before = good.snapshot().size();
    Thread.sleep(200);
    assertThat(healthy.isOpen()).isTrue();
    assertThat(good.snapshot().size()).isGreaterThan(before + 5);
    healthy.hangUp();
  }

  // ------------------------------------------------------------------ silence timeout, voicemail, renewal

  @Test
  void silentCallerGetsAGoodbyeAndTheCallEnds() throws Exception {
    UUID call = call(tenant(t -> t.setSilenceTimeoutMs(1000).setAiGoodbye("Bye for now.")), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    JsonNode goodbye = s.await("response.create", e -> e.at("/response/instructions").asText().contains("Bye for now."), 4000);
    assertThat(goodbye).isNotNull();
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    // greeting and goodbye were both played before the hangup
    assertThat(heard.agentFrames()).isGreaterThanOrEqualTo(18);
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getAgentEndReason()).isEqualTo("silence_timeout");
    assertThat(row.getVoicemailResult()).as("inbound calls are not checked by default").isNull();
  }

  @Test
  void callerSpeechPostponesTheSilenceTimeout() throws Exception {
    UUID call = call(tenant(t -> t.setSilenceTimeoutMs(1000)), "inbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    for (int i = 0; i < 4; i++) {
      Thread.sleep(400);
      s.speechStarted();
      s.speechStopped();
    }
    assertThat(s.events("response.create")).hasSize(1);
    assertThat(client.isOpen()).isTrue();
    client.hangUp();
  }

  @Test
  void beepMakesTheAgentLeaveTheMessageThenHangUp() throws Exception {
    long tenant = tenant(t -> t.setVoicemailAction("leave_message").setVoicemailMessage("Please call us back."));
    UUID call = call(tenant, "outbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(e.at("/response/instructions").asText().contains("call us back") ? 300 : 3000);
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> heard.agentFrames() >= 5);

    // the machine's beep: 400 ms of 1 kHz, then quiet
    int[] frame = {0};
    client.audio(buf -> {
      for (int i = 0; i < 160; i++) {
        int n = frame[0] * 160 + i;
        buf.writeShortLE(frame[0] < 20 ? (int) (8000 * Math.sin(2 * Math.PI * 1000 * n / 8000.0)) : 0);
      }
      frame[0]++;
    });
    JsonNode quiet = s.await("session.update",
        e -> !e.at("/session/audio/input/turn_detection/create_response").asBoolean(true), 3000);
    assertThat(quiet.at("/session/audio/input/turn_detection/interrupt_response").asBoolean()).isFalse();
    s.await("response.create", e -> e.at("/response/instructions").asText().contains("Please call us back."), 3000);
    assertThat(client.awaitClosed(4000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getVoicemailResult()).isEqualTo("machine");
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getAgentEndReason()).isEqualTo("voicemail");
  }

  @Test
  void voicemailPhraseInTheTranscriptHangsUp() throws Exception {
    UUID call = call(tenant(t -> {}), "outbound", c -> {});
    int index = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    s.callerSaid("Hi, you've reached Bob. Please leave a message after the tone.");
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getVoicemailResult()).isEqualTo("machine");
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getConversation().data()).contains("leave a message");
  }

  @Test
  void amdMachineWithHangupActionEndsBeforeAnyRealtimeSession() throws Exception {
    UUID call = call(tenant(t -> {}), "outbound", c -> c.setAmdStatus("MACHINE").setAmdCause("LONGGREETING-2000-1500"));
    int sessions = fake.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, heard);
    assertThat(client.awaitClosed(3000)).isTrue();
    assertThat(heard.hangupNanos).isNotZero();
    assertThat(fake.sessions).hasSize(sessions);
    CallRecord row = db.dsl().fetchOne(CALL, CALL.ID.eq(call));
    assertThat(row.getVoicemailResult()).isEqualTo("machine");
    assertThat(row.getAgentEndReason()).isEqualTo("voicemail");
  }

  @Test
  void quietWindowMeansHuman() throws Exception {
    UUID call = call(tenant(t -> t.setVoicemailWindowMs(1000)), "outbound", c -> {});
    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    AsteriskAudioSocketClient client = connect(call, AsteriskAudioSocketClient.SILENCE, new RecordingListener());
    fake.awaitSession(index, 3000).await("response.create", 3000);
    Thread.sleep(1300);
    client.hangUp();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getVoicemailResult()).isEqualTo("human");
  }

  @Test
  void longCallsMoveToANewSessionWithTheirContext() throws Exception {
    try (TestAudioSocketServer renewing = server(fake.url(), Map.of("realtime.max-session", "3s", "realtime.renew-before", "2s"))) {
      UUID call = call(tenant(t -> t.setAiGreeting("Welcome to renewal")), "inbound", c -> {});
      fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
      int index = fake.sessions.size();
      RecordingListener heard = new RecordingListener();
      AsteriskAudioSocketClient client = AsteriskAudioSocketClient.connect(asterisk,
          new InetSocketAddress("127.0.0.1", renewing.port()), call, AsteriskAudioSocketClient.SILENCE, heard);
      FakeRealtimeServer.Session first = fake.awaitSession(index, 3000);
      first.await("response.create", 3000);
      FakeRealtimeServer.Session second = fake.awaitSession(index + 1, 4000);
      JsonNode update = second.await("session.update", 3000);
      assertThat(update.at("/session/instructions").asText()).contains("already in progress").contains("Welcome to renewal");
      RecordingListener.await("the old session to be closed", 3000, () -> first.closedByClient);
      assertThat(second.events("response.create")).as("no second greeting").isEmpty();
      RecordingListener.await("caller audio on the new session", 3000, () -> second.appendedAudio().length > 0);

      int before = heard.agentFrames();
      second.respond(FakeRealtimeServer.tone(200), "still here");
      RecordingListener.await("agent audio from the new session", 3000, () -> heard.agentFrames() >= before + 8);
      assertThat(client.isOpen()).isTrue();
      assertThat(heard.hangupNanos).isZero();
      client.hangUp();
    }
  }

  // ------------------------------------------------------------------ helpers

  static AsteriskAudioSocketClient connect(UUID call, AsteriskAudioSocketClient.CallerAudio audio,
      RecordingListener heard) throws InterruptedException {
    return AsteriskAudioSocketClient.connect(asterisk, new InetSocketAddress("127.0.0.1", server.port()), call,
        audio, heard);
  }

  static long tenant(Consumer<TenantRecord> settings) {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    settings.accept(t);
    t.store();
    return t.getId();
  }

  static UUID call(long tenant, String direction, Consumer<CallRecord> settings) {
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection(direction);
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

  static void assertNoWebSocketThreadsLeft() throws InterruptedException {
    RecordingListener.await("the Realtime client threads to end", 3000, () -> Thread.getAllStackTraces().keySet()
        .stream().noneMatch(t -> t.isAlive() && (t.getName().startsWith("WebSocketConnectReadThread") || t.getName().startsWith("realtime-read-")
            || t.getName().startsWith("WebSocketWriteThread"))));
  }
}
