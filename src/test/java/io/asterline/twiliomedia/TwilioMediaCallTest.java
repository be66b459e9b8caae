package io.asterline.twiliomedia;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.realtime.MuLaw;
import io.asterline.twilio.TwilioMediaStream;
import io.asterline.twilio.TwilioStandIn;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Twilio calls end to end over Media Streams: a client speaking exactly as Twilio does (signed upgrade, connected,
 * start, media every 20 ms, marks echoed as its buffer plays, clear), the Media Streams server, the agent, a real
 * PostgreSQL and a local Realtime server speaking the GA events; the call control is a recording stand-in.
 */
class TwilioMediaCallTest {

  static TestDatabase.Db db;
  static FakeRealtimeServer fake;
  static TestTwilioMedia server;
  static RecordedStreamControl control;
  static EventLoopGroup twilio;
  static Path recordings;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.fresh();
    fake = new FakeRealtimeServer();
    control = new RecordedStreamControl();
    recordings = Files.createTempDirectory("twilio-recordings");
    server = TestTwilioMedia.start(db, fake.url(), recordings, control, 1);
    twilio = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-twilio"), NioIoHandler.newFactory());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    fake.close();
    twilio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    db.close();
  }

  @BeforeEach
  void reset() {
    fake.silent = false;
    fake.responder = (s, e) -> FakeRealtimeServer.tone(1000);
    control.answer = RecordedStreamControl.Answer.AT_ONCE;
  }

  @Test
  void greetingAndCallerAudioPassThroughUlawUntouchedAndTwilioPlaysItInRealTime() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> t.setAiGreeting("Hello over Twilio")), sid);
    // 1 s of every mu-law code in turn: any transcoding on the way would change some of them
    byte[] codes = new byte[8000];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) (i * 7 + 3);
    }
    fake.responder = (s, e) -> codes;
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    byte[] callerFrame = new byte[160];
    for (int k = 0; k < 160; k++) {
      callerFrame[k] = (byte) k;
    }
    stream.callerAudio = callerFrame::clone;
    assertThat(stream.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);

    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    JsonNode update = s.await("session.update", 3000).path("session");
    assertThat(update.at("/audio/input/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(update.at("/audio/output/format/type").asText()).isEqualTo("audio/pcmu");
    assertThat(s.await("response.create", 3000).at("/response/instructions").asText()).contains("Hello over Twilio");

    RecordingListener.await("the whole greeting played", 5000, () -> stream.heardBytes() >= codes.length);
    assertThat(Arrays.copyOf(stream.heardAudio(), codes.length)).as("the greeting, byte for byte").isEqualTo(codes);
    // Twilio played it in real time: 50 frames take about a second, not a burst
    List<TwilioMediaStream.Played> played = stream.heard;
    long spanMs = (played.get(played.size() - 1).nanos() - played.get(0).nanos()) / 1_000_000;
    assertThat(spanMs).isGreaterThanOrEqualTo((played.size() - 1) * 20L - 60);
    assertThat(stream.underruns).as("gaps in the greeting").isZero();
    // every media message was addressed to the stream, and followed by a mark Twilio echoed once played
    assertThat(stream.receivedNamed("media")).allMatch(n -> n.path("streamSid").asText().equals(stream.streamSid));
    assertThat(stream.receivedNamed("mark")).hasSameSizeAs(stream.receivedNamed("media"));
    RecordingListener.await("the marks echoed", 2000,
        () -> stream.marksEchoed.size() == stream.receivedNamed("mark").size());

    RecordingListener.await("caller audio relayed", 3000, () -> s.appendedAudio().length >= 1600);
    byte[] relayed = s.appendedAudio();
    for (int i = 0; i + 160 <= relayed.length; i += 160) {
      assertThat(Arrays.copyOfRange(relayed, i, i + 160)).as("caller frame at " + i).isEqualTo(callerFrame);
    }

    stream.stop();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getAgentEndReason()).isEqualTo("caller_hangup");
    assertThat(row.getFirstAudioAt()).isNotNull();
  }

  @Test
  void bargeInClearsTwilioBufferAndTruncatesToWhatTheCallerHeard() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    fake.responder = (s, e) -> FakeRealtimeServer.tone(6000);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("1.3 s of the greeting", 5000, () -> stream.heardBytes() >= 8 * 1300);
    assertThat(stream.buffered()).as("Twilio holds the rest of the answer").isGreaterThan(8000);

    s.speechStarted();
    JsonNode truncate = s.await("conversation.item.truncate", 3000);
    RecordingListener.await("clear", 1000, () -> !stream.clears.isEmpty());
    long clearAt = stream.clears.get(0);
    long heardAtClear = stream.heard.stream().filter(p -> p.nanos() < clearAt).mapToLong(p -> p.audio().length).sum();
    Thread.sleep(300);
    assertThat(stream.heard.stream().filter(p -> p.nanos() > clearAt)).as("nothing played after the clear").isEmpty();
    assertThat(stream.buffered()).isZero();
    assertThat(truncate.path("item_id").asText()).isEqualTo(s.lastItem);
    // what the caller heard of the item, as the marks and the time since the last one say
    assertThat(truncate.path("audio_end_ms").asLong()).isCloseTo(heardAtClear / 8, org.assertj.core.data.Offset.offset(20L));
    // the marks pending at the clear came back at once and changed nothing
    assertThat(stream.marksEchoed).hasSameSizeAs(stream.receivedNamed("mark"));

    stream.stop();
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getBargeInCount()).isEqualTo(1);
    // speech_started to the clear going out: the same event loop turn, not a tick later
    assertThat(row.getBargeInMaxStopMs()).isNotNull().isBetween(0, 50);
  }

  @Test
  void keysReachTheModel() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    fake.responder = (s, e) -> FakeRealtimeServer.tone(200);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> stream.heardBytes() >= 1600);
    stream.dtmf('4');
    stream.dtmf('2');
    JsonNode keys = s.await("conversation.item.create", 3000);
    assertThat(keys.toString()).contains("4 2");
    stream.stop();
    awaitRow(call, r -> r.getAgentEndReason() != null);
  }

  @Test
  void theCallersHangupEndsTheLegAndTellsTheCallControlNotAfterAgentDone() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> t.setRecordingEnabled(false)), sid);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    stream.stop();
    RecordingListener.await("streamEnded", 3000, () -> !control.endedOf(call).isEmpty());
    RecordedStreamControl.Ended ended = control.endedOf(call).get(0);
    assertThat(ended.callSid()).isEqualTo(sid);
    assertThat(ended.afterAgentDone()).isFalse();
    assertThat(ended.recording()).as("the tenant does not record").isNull();
    assertThat(control.agentDoneOf(call)).isEmpty();
    assertThat(awaitRow(call, r -> r.getAgentEndReason() != null).getAgentEndReason()).isEqualTo("caller_hangup");
    RecordingListener.await("the Realtime session closed", 3000, () -> s.closedByClient);
    Thread.sleep(200);
    assertThat(control.endedOf(call)).as("told once").hasSize(1);
  }

  @Test
  void theAgentsDecisionGivesTheCallItsNextTwimlAfterItsLastWordsThenTheStreamCloses() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    fake.responder = (s, e) -> FakeRealtimeServer.tone(1500);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting begins", 5000, () -> stream.heardBytes() >= 1600);

    // the agent decides while the caller still hears its greeting
    s.callFunction("end_call", "{\"reason\":\"done\"}");
    assertThat(stream.closed.get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(control.agentDoneOf(call)).hasSize(1);
    RecordedStreamControl.AgentDone done = control.agentDoneOf(call).get(0);
    assertThat(done.callSid()).isEqualTo(sid);
    // the whole greeting was heard, and only then did the call go on
    assertThat(stream.heardBytes()).isGreaterThanOrEqualTo(1500 * 8);
    long greetingOver = 0;
    long n = 0;
    for (TwilioMediaStream.Played p : stream.heard) {
      n += p.audio().length;
      if (n >= 1500 * 8) {
        greetingOver = p.nanos();
        break;
      }
    }
    assertThat(done.nanos()).as("agentDone after the last frame played").isGreaterThanOrEqualTo(greetingOver);
    CallRecord row = awaitRow(call, r -> r.getAgentEndReason() != null);
    assertThat(row.getAgentEndReason()).isEqualTo("end_call");
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    RecordingListener.await("streamEnded", 3000, () -> !control.endedOf(call).isEmpty());
    assertThat(control.endedOf(call).get(0).afterAgentDone()).isTrue();
  }

  @Test
  void whenTwilioNeverTakesTheNextTwimlTheStreamStillClosesSoon() throws Exception {
    control.answer = RecordedStreamControl.Answer.NEVER;
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    fake.responder = (s, e) -> FakeRealtimeServer.tone(100);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting", 5000, () -> stream.heardBytes() >= 800);
    fake.responder = (x, e) -> FakeRealtimeServer.tone(100);
    s.callFunction("end_call", "{\"reason\":\"done\"}");
    RecordingListener.await("agentDone", 5000, () -> !control.agentDoneOf(call).isEmpty());
    assertThat(stream.closed.isDone()).as("still waiting for Twilio").isFalse();
    assertThat(stream.closed.get(StreamCallHandler.AGENT_DONE_WAIT_MILLIS + 2000, TimeUnit.MILLISECONDS)).isNotNull();
    RecordingListener.await("streamEnded", 3000, () -> !control.endedOf(call).isEmpty());
    assertThat(control.endedOf(call).get(0).afterAgentDone()).isTrue();
  }

  @Test
  void aForgedSignatureOrAnotherPathIsRefusedBeforeTheUpgrade() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    int sessions = fake.sessions.size();
    TwilioMediaStream forged = TwilioMediaStream.connect(twilio, address(), "/twilio/stream",
        TestTwilioMedia.STREAM_URL, "not-the-auth-token", null, TwilioStandIn.ACCOUNT_SID, sid,
        Map.of("callId", call.toString()));
    assertThat(forged.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(403);
    TwilioMediaStream none = TwilioMediaStream.connect(twilio, address(), "/twilio/stream",
        TestTwilioMedia.STREAM_URL, TwilioStandIn.AUTH_TOKEN, "", TwilioStandIn.ACCOUNT_SID, sid,
        Map.of("callId", call.toString()));
    assertThat(none.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(403);
    // signed, but over another URL than the stream's
    TwilioMediaStream otherUrl = TwilioMediaStream.connect(twilio, address(), "/twilio/stream",
        "wss://elsewhere.example.com/twilio/stream", TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid,
        Map.of("callId", call.toString()));
    assertThat(otherUrl.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(403);
    TwilioMediaStream path = TwilioMediaStream.connect(twilio, address(), "/media", TestTwilioMedia.STREAM_URL,
        TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid, Map.of("callId", call.toString()));
    assertThat(path.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(404);
    assertThat(fake.sessions).hasSize(sessions);
  }

  @Test
  void aStreamThatIsNotItsCallsTwilioStreamIsClosedWithoutASession() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    UUID asterisk = MediaRows.asteriskCall(db, tenant(t -> {}));
    UUID ended = call(tenant(t -> {}), TwilioMediaStream.newCallSid());
    db.dsl().update(CALL).set(CALL.STATE, "ended").where(CALL.ID.eq(ended)).execute();
    int sessions = fake.sessions.size();

    List<TwilioMediaStream> refused = List.of(
        // unknown call id
        connect(UUID.randomUUID(), sid),
        // the call row's CallSid is another
        connect(call, TwilioMediaStream.newCallSid()),
        // an Asterisk call
        connect(asterisk, sid),
        // an ended call
        connect(ended, db.dsl().fetchOne(CALL, CALL.ID.eq(ended)).getProviderCallSid()),
        // no call id at all, or not one
        TwilioMediaStream.connect(twilio, address(), "/twilio/stream", TestTwilioMedia.STREAM_URL,
            TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid, Map.of()),
        TwilioMediaStream.connect(twilio, address(), "/twilio/stream", TestTwilioMedia.STREAM_URL,
            TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, sid, Map.of("callId", "'; drop table call")),
        // another account's stream
        TwilioMediaStream.connect(twilio, address(), "/twilio/stream", TestTwilioMedia.STREAM_URL,
            TwilioStandIn.AUTH_TOKEN, null, "AC" + "f".repeat(32), sid, Map.of("callId", call.toString())));
    for (TwilioMediaStream r : refused) {
      assertThat(r.handshake.get(3, TimeUnit.SECONDS)).isEqualTo(101);
      assertThat(r.closed.get(3, TimeUnit.SECONDS)).isEqualTo("close 1008");
    }
    Thread.sleep(200);
    assertThat(fake.sessions).hasSize(sessions);
    assertThat(control.endedOf(call)).isEmpty();
    assertThat(db.dsl().fetchOne(CALL, CALL.ID.eq(call)).getAgentEndReason()).isNull();
  }

  @Test
  void aMalformedMessageClosesTheStreamAndTheLeg() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    UUID call = call(tenant(t -> {}), sid);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    FakeRealtimeServer.Session s = fake.awaitSession(index, 3000);
    s.await("response.create", 3000);
    stream.sendText("{\"event\":\"media\",\"media\":{\"payload\":\"%%% not base64\"}}");
    assertThat(stream.closed.get(3, TimeUnit.SECONDS)).isEqualTo("close 1008");
    RecordingListener.await("the Realtime session closed", 3000, () -> s.closedByClient);
    RecordingListener.await("streamEnded", 3000, () -> !control.endedOf(call).isEmpty());
    assertThat(control.endedOf(call).get(0).afterAgentDone()).isFalse();
  }

  @Test
  void theRecordingHasTheCallerLeftAndTheAgentRightWhereTheyWereHeard() throws Exception {
    String sid = TwilioMediaStream.newCallSid();
    long tenant = tenant(t -> t.setRecordingEnabled(true));
    UUID call = call(tenant, sid);
    fake.responder = (s, e) -> FakeRealtimeServer.tone(1000);
    int index = fake.sessions.size();
    TwilioMediaStream stream = connect(call, sid);
    // the caller is quiet while the greeting plays, then speaks for 600 ms, then is quiet again
    long[] frames = new long[1];
    byte[] voice = FakeRealtimeServer.tone(20);
    stream.callerAudio = () -> {
      long n = frames[0]++;
      return n >= 75 && n < 105 ? voice.clone() : TwilioMediaStream.silence();
    };
    fake.awaitSession(index, 3000);
    RecordingListener.await("the greeting and the caller's words", 6000, () -> frames[0] >= 130);
    stream.stop();
    RecordingListener.await("streamEnded", 5000, () -> !control.endedOf(call).isEmpty());
    Path file = control.endedOf(call).get(0).recording();
    assertThat(file).isEqualTo(recordings.toAbsolutePath().normalize().resolve(Long.toString(tenant))
        .resolve(call + ".wav"));
    byte[] wav = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(b.getInt(0)).isEqualTo(0x46464952);
    assertThat(b.getShort(20)).as("PCM").isEqualTo((short) 1);
    assertThat(b.getShort(22)).as("channels").isEqualTo((short) 2);
    assertThat(b.getInt(24)).isEqualTo(8000);
    assertThat(b.getShort(34)).as("bits").isEqualTo((short) 16);
    int dataLen = b.getInt(40);
    assertThat(dataLen).isEqualTo(wav.length - 44);
    int samples = dataLen / 4;
    assertThat(samples).as("the whole stream, about 2.6 s").isBetween(8 * 2300, 8 * 3500);
    // where each side was loud, in 20 ms blocks
    int loudLeftFrom = -1;
    int loudLeftTo = -1;
    int loudRightFrom = -1;
    int loudRightTo = -1;
    for (int block = 0; block < samples / 160; block++) {
      long left = 0;
      long right = 0;
      for (int i = block * 160; i < block * 160 + 160; i++) {
        left += Math.abs(b.getShort(44 + 4 * i));
        right += Math.abs(b.getShort(44 + 4 * i + 2));
      }
      if (left / 160 > 1000) {
        loudLeftFrom = loudLeftFrom < 0 ? block : loudLeftFrom;
        loudLeftTo = block;
      }
      if (right / 160 > 1000) {
        loudRightFrom = loudRightFrom < 0 ? block : loudRightFrom;
        loudRightTo = block;
      }
    }
    // the agent's second of greeting on the right, from its start; the caller's 600 ms on the left after it
    assertThat(loudRightTo - loudRightFrom + 1).as("agent blocks").isBetween(48, 52);
    assertThat(loudLeftTo - loudLeftFrom + 1).as("caller blocks").isBetween(28, 32);
    assertThat(loudLeftFrom * 20).as("caller starts at 1.5 s").isBetween(1400, 1600);
    assertThat(loudRightFrom).as("the greeting comes before the caller speaks").isLessThan(loudLeftFrom);
    // the greeting is where the caller heard it on the stream's time line (a 20 ms block, and loopback, apart)
    long heardFromMs = (stream.heard.get(0).nanos() - stream.startNanos()) / 1_000_000;
    assertThat(loudRightFrom * 20L).as("greeting onset in the recording, ms").isCloseTo(heardFromMs,
        org.assertj.core.data.Offset.offset(60L));
    // the greeting in the recording is the greeting: first loud agent block decodes to the tone
    byte[] tone = FakeRealtimeServer.tone(1000);
    int matches = 0;
    for (int at = Math.max(0, (loudRightFrom - 1) * 160); at <= (loudRightFrom + 1) * 160 && matches < 160; at++) {
      int m = 0;
      for (int i = 0; i < 160; i++) {
        if (b.getShort(44 + 4 * (at + i) + 2) == MuLaw.decode(tone[i])) {
          m++;
        }
      }
      matches = Math.max(matches, m);
    }
    assertThat(matches).as("the greeting's first frame, sample for sample, where the recording puts it").isEqualTo(160);
  }

  // ------------------------------------------------------------------ helpers

  static InetSocketAddress address() {
    return new InetSocketAddress("127.0.0.1", server.port());
  }

  static TwilioMediaStream connect(UUID call, String callSid) throws InterruptedException {
    return TwilioMediaStream.connect(twilio, address(), "/twilio/stream", TestTwilioMedia.STREAM_URL,
        TwilioStandIn.AUTH_TOKEN, null, TwilioStandIn.ACCOUNT_SID, callSid, Map.of("callId", call.toString()));
  }

  static long tenant(Consumer<TenantRecord> settings) {
    TenantRecord t = db.dsl().newRecord(TENANT);
    t.setName("tenant-" + UUID.randomUUID());
    settings.accept(t);
    t.store();
    return t.getId();
  }

  static UUID call(long tenant, String callSid) {
    CallRecord c = db.dsl().newRecord(CALL);
    c.setId(UUID.randomUUID());
    c.setTenantId(tenant);
    c.setDirection("inbound");
    c.setState("answered");
    c.setProvider("twilio");
    c.setProviderCallSid(callSid);
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
