package io.asterline.twilio;

import static io.asterline.db.generated.Tables.ADMISSION_SLOT;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.http.Auth;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Twilio call through the whole service as it starts, against Twilio as a stand-in (REST, signed webhooks and
 * status callbacks, TwiML run as Twilio runs it, a Media Stream spoken as Twilio speaks it) and the Realtime
 * stand-in: the voice webhook's TwiML, the stream reaching the agent, the greeting, a barge-in (clear sent, the
 * truncate from what the caller heard), the agent's transfer carried on by a REST update, the Dial's end; and an
 * outbound call placed through Twilio, answered, hung up by the agent and ended by Twilio's status callback.
 */
class TwilioCallEndToEndTest {

  private static final Pattern CALL_ID = Pattern.compile("<Parameter name=\"callId\" value=\"([0-9a-f-]{36})\"/>");
  private static final Pattern STREAM_URL = Pattern.compile("<Stream url=\"([^\"]+)\">");

  @TempDir
  static Path dir;

  static TestDatabase.Db db;
  static TwilioStandIn twilio;
  static TwilioTwimlRunner runner;
  static FakeRealtimeServer realtime;
  static EventLoopGroup group;
  static Asterline app;
  static URI base;
  static int mediaPort;
  static long tenant;
  static String token;
  static final Map<String, TwilioMediaStream> streams = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh(4);
    twilio = new TwilioStandIn();
    realtime = new FakeRealtimeServer();
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-twilio"), NioIoHandler.newFactory());
    runner = new TwilioTwimlRunner(twilio).onStreamStop(call -> {
      TwilioMediaStream s = streams.get(call.sid);
      if (s != null) {
        s.stop(); // Twilio's stop, then the socket closes: the call was redirected
      }
    });
    token = Auth.newToken();
    tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").set(TENANT.API_TOKEN_HASH, Auth.hash(token))
        .set(TENANT.AI_GREETING, "Hello from Twilio").set(TENANT.TRANSFER_NUMBER, "+15550009999")
        .set(TENANT.RECORDING_ENABLED, true).set(TENANT.ASTERISK_SHARE, (short) 0)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
        .set(DID.METADATA, org.jooq.JSONB.valueOf("{\"provider\": \"Twilio\", \"import_source\": \"twilio-api\"}"))
        .execute();
    int httpPort = freePort();
    mediaPort = freePort();
    base = URI.create("http://127.0.0.1:" + httpPort);
    Map<String, String> o = new HashMap<>(twilio.settings(base));
    o.put("twilio.stream-url", "ws://127.0.0.1:" + mediaPort + "/twilio/stream");
    o.put("twilio.media.port", Integer.toString(mediaPort));
    o.put("twilio.media.bind", "127.0.0.1");
    o.put("database.url", db.jdbcUrl());
    o.put("database.user", "postgres");
    o.put("data.dir", dir.resolve("data").toString());
    o.put("http.port", Integer.toString(httpPort));
    o.put("agi.port", "0");
    o.put("audiosocket.port", "0");
    o.put("mediaws.port", "0");
    o.put("recordings.dir", dir.resolve("recordings").toString());
    o.put("openai.api-key", "sk-test-123");
    o.put("realtime.url", realtime.url());
    o.put("realtime.connect-timeout", "6s");
    app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
  }

  @AfterAll
  static void stop() throws Exception {
    streams.values().forEach(TwilioMediaStream::close);
    if (app != null) {
      app.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    realtime.close();
    twilio.close();
    db.close();
  }

  @Test
  void anInboundTwilioCallTalksToTheAgentIsInterruptedAndIsTransferredThroughTwiliosRestApi() throws Exception {
    realtime.responder = (s, e) -> FakeRealtimeServer.tone(6000);
    TwilioStandIn.Call call = twilio.inboundCall("+15557654321", "+15551230000");
    TwilioStandIn.Answer answer = twilio.voiceWebhook(call, URI.create(base + "/twilio/voice"));
    assertThat(answer.status()).isEqualTo(200);
    runner.run(call, answer.body());
    assertThat(runner.ran(call)).containsExactly("Connect");
    UUID id = callId(answer.body());
    CallRecord admitted = row(id);
    assertThat(admitted.getProvider()).isEqualTo("twilio");
    assertThat(admitted.getProviderCallSid()).isEqualTo(call.sid);
    assertThat(admitted.getDirection()).isEqualTo("inbound");
    assertThat(slotHeld(id)).isTrue();

    int index = realtime.sessions.size();
    TwilioMediaStream stream = connect(call, answer.body());
    FakeRealtimeServer.Session s = realtime.awaitSession(index, 5000);
    assertThat(s.await("response.create", 3000).at("/response/instructions").asText()).contains("Hello from Twilio");
    RecordingListener.await("1.3 s of the greeting heard", 8000, () -> stream.heardBytes() >= 8 * 1300);

    // the caller talks over the greeting: Twilio's buffer is cleared, the item cut where the caller stopped hearing
    s.speechStarted();
    JsonNode truncate = s.await("conversation.item.truncate", 3000);
    RecordingListener.await("clear", 2000, () -> !stream.clears.isEmpty());
    long clearAt = stream.clears.get(0);
    long heard = stream.heard.stream().filter(p -> p.nanos() < clearAt).mapToLong(p -> p.audio().length).sum();
    assertThat(truncate.path("audio_end_ms").asLong()).isCloseTo(heard / 8, Offset.offset(20L));

    // the agent transfers to the tenant's number: Twilio gets the Dial through the REST API, the stream stops
    realtime.responder = (x, e) -> FakeRealtimeServer.tone(300);
    s.callFunction("transfer_call", "{}");
    RecordingListener.await("the Dial ran", 10_000, () -> runner.ran(call).contains("Dial +15550009999"));
    assertThat(call.lastTwiml()).get().asString().contains("<Number>+15550009999</Number>")
        .contains("/twilio/dial-done");
    assertThat(runner.ran(call)).containsSubsequence("Connect", "stream stopped", "Dial +15550009999");
    assertThat(stream.closed.get(5, TimeUnit.SECONDS)).isNotNull();

    CallRecord ended = awaitRow(id, r -> "ended".equals(r.getState()));
    assertThat(ended.getAgentDecision()).isEqualTo("transfer");
    assertThat(ended.getTransferTo()).isEqualTo("+15550009999");
    assertThat(ended.getOutcome()).isEqualTo("ANSWER");
    assertThat(ended.getBargeInCount()).isEqualTo(1);
    assertThat(ended.getFirstAudioAt()).isNotNull();
    assertThat(slotHeld(id)).isFalse();
    // Asterline recorded the stream itself: the recording job has its file
    RecordingListener.await("the recording on the call", 5000, () -> row(id).getRecordingFile() != null);
    assertThat(Path.of(row(id).getRecordingFile())).exists();
    RecordingListener.await("its recording job", 5000, () -> db.dsl().fetchExists(RECORDING_JOB,
        RECORDING_JOB.CALL_ID.eq(id).and(RECORDING_JOB.SOURCE_FILE.eq(row(id).getRecordingFile()))));
  }

  @Test
  void anOutboundCallThroughTwilioReachesTheAgentAndEndsWithTwiliosStatusCallback() throws Exception {
    realtime.responder = (s, e) -> FakeRealtimeServer.tone(800);
    HttpResponse<String> placed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(base + "/api/outbound/call"))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"business_id\":" + tenant + ",\"lead_id\":7,"
            + "\"to_number\":\"+14155550123\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(placed.statusCode()).as(placed.body()).isEqualTo(202);
    JsonNode body = new ObjectMapper().readTree(placed.body());
    assertThat(body.path("provider").asText()).isEqualTo("twilio");
    assertThat(body.path("caller_id").asText()).isEqualTo("+15551230000");
    UUID id = UUID.fromString(body.path("call_id").asText());

    RecordingListener.await("Twilio got the call", 5000,
        () -> twilio.calls().stream().anyMatch(c -> c.to.equals("+14155550123")));
    TwilioStandIn.Call call = twilio.calls().stream().filter(c -> c.to.equals("+14155550123")).findFirst()
        .orElseThrow();
    RecordingListener.await("CallSid stored", 5000, () -> call.sid.equals(row(id).getProviderCallSid()));
    twilio.progress(call, Map.of(), "initiated", "ringing");
    assertThat(row(id).getState()).isEqualTo("ringing");
    String twiml = call.created.first("Twiml").orElseThrow();
    twilio.progress(call, Map.of(), "in-progress");
    runner.run(call, twiml);
    assertThat(row(id).getState()).isEqualTo("answered");

    int index = realtime.sessions.size();
    TwilioMediaStream stream = connect(call, twiml);
    FakeRealtimeServer.Session s = realtime.awaitSession(index, 5000);
    s.await("response.create", 3000);
    RecordingListener.await("the greeting heard", 8000, () -> stream.heardBytes() >= 8 * 500);

    // the agent ends the call: Twilio hangs up through the REST API, then reports the end
    s.callFunction("end_call", "{\"reason\":\"done\"}");
    RecordingListener.await("the Hangup ran", 10_000, () -> runner.ran(call).contains("Hangup"));
    assertThat(stream.closed.get(5, TimeUnit.SECONDS)).isNotNull();
    twilio.progress(call, Map.of("CallDuration", "4"), "completed");

    CallRecord ended = awaitRow(id, r -> "ended".equals(r.getState()));
    assertThat(ended.getProvider()).isEqualTo("twilio");
    assertThat(ended.getOutcome()).isEqualTo("ANSWER");
    assertThat(ended.getAgentDecision()).isEqualTo("hangup");
    assertThat(ended.getAgentConnectedAt()).isNotNull();
    assertThat(slotHeld(id)).isFalse();

    // the calls API says who carried it, and lists a provider's calls
    JsonNode shown = new ObjectMapper().readTree(get("/api/calls/" + id));
    assertThat(shown.path("provider").asText()).isEqualTo("twilio");
    assertThat(shown.path("provider_call_sid").asText()).isEqualTo(call.sid);
    JsonNode twilioCalls = new ObjectMapper().readTree(get("/api/calls?provider=twilio")).path("calls");
    assertThat(twilioCalls.findValuesAsText("id")).contains(id.toString());
    assertThat(new ObjectMapper().readTree(get("/api/calls?provider=asterisk")).path("calls").findValuesAsText("id"))
        .doesNotContain(id.toString());
  }

  private static String get(String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  // ------------------------------------------------------------------ helpers

  private static TwilioMediaStream connect(TwilioStandIn.Call call, String twiml) throws InterruptedException {
    Matcher url = STREAM_URL.matcher(twiml);
    assertThat(url.find()).as("a <Stream url> in " + twiml).isTrue();
    String streamUrl = url.group(1);
    assertThat(streamUrl).isEqualTo("ws://127.0.0.1:" + mediaPort + "/twilio/stream");
    TwilioMediaStream stream = TwilioMediaStream.connect(group, new InetSocketAddress("127.0.0.1", mediaPort),
        URI.create(streamUrl).getPath(), streamUrl, TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID,
        call.sid, Map.of("callId", callId(twiml).toString()));
    streams.put(call.sid, stream);
    try {
      assertThat(stream.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("no handshake", e);
    }
    return stream;
  }

  private static UUID callId(String twiml) {
    Matcher m = CALL_ID.matcher(twiml);
    assertThat(m.find()).as("a callId Parameter in " + twiml).isTrue();
    return UUID.fromString(m.group(1));
  }

  private static CallRecord row(UUID id) {
    return db.dsl().fetchOne(CALL, CALL.ID.eq(id));
  }

  private static CallRecord awaitRow(UUID id, Predicate<CallRecord> done) throws InterruptedException {
    RecordingListener.await("the call row", 10_000, () -> done.test(row(id)));
    return row(id);
  }

  private static boolean slotHeld(UUID id) {
    return db.dsl().fetchExists(ADMISSION_SLOT, ADMISSION_SLOT.CALL_ID.eq(id));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
