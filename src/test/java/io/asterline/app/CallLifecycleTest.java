package io.asterline.app;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agi.FakeAsterisk;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One inbound call through the whole service as Asterisk and OpenAI would drive it (FastAGI, AudioSocket,
 * Realtime), then what an operator sees: /metrics while it runs, and a SIGTERM-style stop that refuses new
 * calls but lets this one finish.
 */
class CallLifecycleTest {

  @TempDir
  Path dir;

  private static final String ADMIN = "admin-token-lifecycle-test";

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void aCallIsMeasuredAndFinishesThroughAGracefulShutdown() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"),
        NioIoHandler.newFactory());
    try (TestDatabase.Db db = TestDatabase.fresh(8); FakeRealtimeServer realtime = new FakeRealtimeServer()) {
      long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").set(TENANT.MAX_CONCURRENT_CALLS, 5)
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
      o.put("openai.api-key", "sk-test-lifecycle");
      o.put("realtime.url", realtime.url());
      o.put("recordings.dir", dir.toString());
      o.put("shutdown.grace-period", "30s");
      o.put("admin.token", ADMIN);
      Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
      try {
        FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
        FakeAsterisk.Exchange inbound = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(inbound.status()).isEqualTo("OK");
        UUID callId = UUID.fromString(inbound.get("ASTERLINE_CALL_ID"));

        RecordingListener heard = new RecordingListener();
        AsteriskAudioSocketClient caller = AsteriskAudioSocketClient.connect(group,
            new InetSocketAddress("127.0.0.1", app.audioSocketPort()), callId, AsteriskAudioSocketClient.SILENCE,
            heard);
        await("the greeting", 10_000, () -> heard.agentFrames() >= 10);

        String metrics = get(app.httpPort(), "/metrics").body();
        assertThat(sample(metrics, "asterline_calls_active", "tenant=\"" + tenant + "\"", "direction=\"inbound\""))
            .isEqualTo(1.0);
        assertThat(sample(metrics, "asterline_agent_first_audio_seconds_count")).isEqualTo(1.0);
        assertThat(sample(metrics, "asterline_agi_request_seconds_count", "script=\"inbound\"", "status=\"OK\""))
            .isEqualTo(1.0);
        for (String part : new String[] {"database", "agi", "audiosocket", "realtime"}) {
          assertThat(sample(metrics, "asterline_health", "part=\"" + part + "\"")).as(part).isEqualTo(1.0);
        }
        assertThat(sample(metrics, "asterline_health", "part=\"ami\"")).as("no AMI configured").isEqualTo(0.0);

        // SIGTERM: the service stops taking calls at once...
        Thread stopping = new Thread(app::close, "test-stop");
        stopping.start();
        await("draining", 5_000, () -> app.agi().admission().draining());
        FakeAsterisk.Exchange refused = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(refused.status()).as("the dialplan sends it to its fallback").isEqualTo("OVER_CAPACITY");
        assertThat(get(app.httpPort(), "/health").statusCode()).isEqualTo(503);
        HttpResponse<String> outbound = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + app.httpPort() + "/api/outbound/call"))
            .header("Authorization", "Bearer " + ADMIN)
            .POST(HttpRequest.BodyPublishers.ofString("{\"business_id\":" + tenant + ",\"to_number\":\"+15557654321\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(outbound.statusCode()).as(outbound.body()).isEqualTo(503);
        assertThat(outbound.body()).contains("shutting down");

        // ...but the call in progress goes on
        int before = heard.snapshot().size();
        Thread.sleep(1000);
        assertThat(caller.isOpen()).isTrue();
        assertThat(heard.snapshot().size() - before).as("frames in a second of grace").isBetween(40, 60);
        assertThat(stopping.isAlive()).isTrue();

        // the caller hangs up; Asterisk's hangup handler reports the end
        assertThat(asterisk.send(FakeAsterisk.request("call-end").args(callId.toString(), "ANSWER", "16")).status())
            .isEqualTo("OK");
        String after = get(app.httpPort(), "/metrics").body();
        assertThat(sample(after, "asterline_calls_ended_total", "direction=\"inbound\"", "outcome=\"ANSWER\""))
            .isEqualTo(1.0);
        caller.hangUp();
        stopping.join(15_000);
        assertThat(stopping.isAlive()).as("stopped once the last call ended, not after the whole grace period")
            .isFalse();
      } finally {
        app.close();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the one sample of {@code name} carrying every given label, or NaN when there is none. */
  static double sample(String exposition, String name, String... labels) {
    return exposition.lines()
        .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .filter(l -> Arrays.stream(labels).allMatch(l::contains))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst().orElse(Double.NaN);
  }

  private static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }
}
