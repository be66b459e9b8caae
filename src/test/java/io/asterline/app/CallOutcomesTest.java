package io.asterline.app;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.agi.FakeAsterisk;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.outbound.FakeAmi;
import io.asterline.outbound.OutboundFixture;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outcome, the AMD result and the answer time each call keeps once it has ended, through the whole service as
 * Asterisk (FastAGI, AMI, AudioSocket) and OpenAI would drive it, so a report can count every call.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CallOutcomesTest {

  private static final String ADMIN = "admin-token-outcomes-test";

  @TempDir
  static Path dir;

  private TestDatabase.Db db;
  private FakeRealtimeServer realtime;
  private FakeAmi ami;
  private Asterline app;
  private FakeAsterisk asterisk;
  private EventLoopGroup group;
  private long tenant;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.fresh(8);
    realtime = new FakeRealtimeServer();
    realtime.responder = (s, e) -> FakeRealtimeServer.tone(300);
    ami = FakeAmi.start("asterline", "ami-secret-outcomes");
    tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").set(TENANT.MAX_CONCURRENT_CALLS, 10)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
        .execute();
    Map<String, String> o = new HashMap<>();
    o.put("database.url", db.jdbcUrl());
    o.put("data.dir", dir.resolve("data-" + UUID.randomUUID()).toString());
    o.put("database.user", "postgres");
    o.put("http.port", "0");
    o.put("agi.port", "0");
    o.put("audiosocket.port", "0");
    o.put("mediaws.port", "0");
    o.put("audiosocket.io-threads", "1");
    o.put("openai.api-key", "sk-test-outcomes");
    o.put("realtime.url", realtime.url());
    o.put("recordings.dir", dir.toString());
    o.put("admin.token", ADMIN);
    o.put("ami.port", Integer.toString(ami.port()));
    o.put("ami.user", "asterline");
    o.put("ami.password", "ami-secret-outcomes");
    o.put("outbound.cps", "1000");
    app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
    asterisk = new FakeAsterisk(app.agiPort());
    // outbound calls are refused until the AMI login is through
    OutboundFixture.await(() -> health().contains("\"ami\":{\"state\":\"UP\""), "AMI connected");
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"), NioIoHandler.newFactory());
  }

  @AfterAll
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
    ami.close();
    realtime.close();
    db.close();
  }

  @Test
  void anAnsweringMachineTheDialplanHungUpOnKeepsItsOutcome() throws Exception {
    UUID call = place("");
    FakeAsterisk.Exchange answered = outboundAnswered(call, "MACHINE", "INITIALSILENCE-2500-2500");
    assertThat(answered.get("ASTERLINE_NEXT")).isEqualTo("hangup");

    // the dialplan hangs up without a Dial: the hangup handler has no DIALSTATUS
    assertThat(callEnd(call, "", audioSocket()).status()).isEqualTo("OK");

    CallRecord row = row(call);
    assertThat(row.getState()).isEqualTo("ended");
    assertThat(row.getOutcome()).isEqualTo("machine_hangup");
    assertThat(row.getVoicemailResult()).isEqualTo("machine");
    assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getAnsweredAt());
    assertThat(ended("outbound", "machine_hangup")).isEqualTo(1.0);
  }

  @Test
  void aMessageLeftOnAnAnsweringMachineIsCountedAsVoicemail() throws Exception {
    UUID call = place(",\"voicemail_action\":\"leave_message\",\"audio_file\":\"custom/please-call-back\"");
    assertThat(outboundAnswered(call, "MACHINE", "MAXWORDS-3-2").get("ASTERLINE_NEXT")).isEqualTo("voicemail");
    // WaitForSilence, Playback, Hangup: no Dial
    assertThat(callEnd(call, "", audioSocket()).status()).isEqualTo("OK");
    assertThat(row(call).getOutcome()).isEqualTo("voicemail");
  }

  @Test
  void theAgentKeepsTheAmdResultItCouldNotImproveOn() throws Exception {
    UUID call = place("");
    assertThat(outboundAnswered(call, "HUMAN", "HUMAN-300-800").get("ASTERLINE_NEXT")).isEqualTo("agent");
    // the agent's leg, ended by the agent well inside its voicemail window
    FakeRealtimeServer.Session s = talkAndHangUp(call);
    assertThat(s).isNotNull();
    assertThat(callEnd(call, "ANSWER", audioSocket()).status()).isEqualTo("OK");

    CallRecord row = row(call);
    assertThat(row.getAgentDecision()).isEqualTo("hangup");
    assertThat(row.getVoicemailResult()).as("AMD's human, not the agent's unknown").isEqualTo("human");
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
  }

  @Test
  void anOutboundCallWhoseAgentWasUnreachableIsCountedAsSuch() throws Exception {
    UUID call = place(",\"transfer_number\":\"+15559990000\"");
    // AMD() failed or is missing: the agent takes it, but its leg fails and the transfer to a person answers
    assertThat(outboundAnswered(call, "", "").get("ASTERLINE_NEXT")).isEqualTo("agent");
    assertThat(callEnd(call, "ANSWER", audioSocket()).status()).isEqualTo("OK");

    CallRecord row = row(call);
    assertThat(row.getOutcome()).isEqualTo("agent_unavailable");
    assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getAnsweredAt());
    assertThat(ended("outbound", "agent_unavailable")).isEqualTo(1.0);
  }

  @Test
  void anInboundCallIsAnsweredWhenItsAgentLegConnects() throws Exception {
    FakeAsterisk.Exchange in = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
    assertThat(in.status()).isEqualTo("OK");
    UUID call = UUID.fromString(in.get("ASTERLINE_CALL_ID"));
    assertThat(row(call).getAnsweredAt()).as("not before the dialplan's Answer()").isNull();

    talkAndHangUp(call);
    assertThat(callEnd(call, "ANSWER", in.get("ASTERLINE_AUDIOSOCKET")).status()).isEqualTo("OK");

    CallRecord row = row(call);
    assertThat(row.getAnsweredAt()).isNotNull().isEqualTo(row.getAgentConnectedAt());
    assertThat(row.getEndedAt()).isAfterOrEqualTo(row.getAnsweredAt());
    assertThat(row.getOutcome()).isEqualTo("ANSWER");
  }

  /** Connects the agent's AudioSocket leg, waits for the greeting, and has the agent end the call. */
  private FakeRealtimeServer.Session talkAndHangUp(UUID call) throws Exception {
    int before = realtime.sessions.size();
    RecordingListener heard = new RecordingListener();
    AsteriskAudioSocketClient leg = AsteriskAudioSocketClient.connect(group,
        new InetSocketAddress("127.0.0.1", app.audioSocketPort()), call, AsteriskAudioSocketClient.SILENCE, heard);
    OutboundFixture.await(() -> heard.agentFrames() >= 5, "the greeting");
    FakeRealtimeServer.Session s = realtime.awaitSession(before, 5000);
    s.callFunction("end_call", "{}");
    assertThat(leg.closed.await(10, TimeUnit.SECONDS)).as("the agent ended its leg").isTrue();
    OutboundFixture.await(() -> row(call).getAgentDecision() != null, "the agent's decision stored");
    return s;
  }

  private String health() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private UUID place(String extra) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + app.httpPort() + "/api/outbound/call"))
        .header("Authorization", "Bearer " + ADMIN)
        .POST(HttpRequest.BodyPublishers.ofString("{\"business_id\":" + tenant + ",\"to_number\":\"+15557654321\""
            + extra + "}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    JsonNode body = Json.mapper().readTree(r.body());
    return UUID.fromString(body.path("call_id").asText());
  }

  private FakeAsterisk.Exchange outboundAnswered(UUID call, String amdStatus, String amdCause) throws Exception {
    FakeAsterisk.Exchange x = asterisk.send(FakeAsterisk.request("outbound-answered")
        .variable("ASTERLINE_CALL_ID", call.toString()).variable("AMDSTATUS", amdStatus)
        .variable("AMDCAUSE", amdCause));
    assertThat(x.get("ASTERLINE_STATUS")).isEqualTo("OK");
    return x;
  }

  /** [asterline-call-end] as the dialplan runs it: id, DIALSTATUS, HANGUPCAUSE, recording, AudioSocket address. */
  private FakeAsterisk.Exchange callEnd(UUID call, String dialStatus, String audioSocket) throws Exception {
    return asterisk.send(FakeAsterisk.request("call-end").args(call.toString(), dialStatus, "16", "", audioSocket));
  }

  /** The ASTERLINE_AUDIOSOCKET an outbound call's originate carries. */
  private String audioSocket() {
    return "127.0.0.1:" + app.audioSocketPort();
  }

  private CallRecord row(UUID id) {
    return db.dsl().selectFrom(CALL).where(CALL.ID.eq(id)).fetchOne();
  }

  private double ended(String direction, String outcome) throws Exception {
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.httpPort() + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    double v = CallLifecycleTest.sample(metrics, "asterline_calls_ended_total", "direction=\"" + direction + "\"",
        "outcome=\"" + outcome + "\"");
    return Double.isNaN(v) ? 0 : v;
  }
}
