package io.asterline.console;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.RECORDING_JOB;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agi.FakeAsterisk;
import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.RecordingListener;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.http.Auth;
import io.asterline.realtime.FakeRealtimeServer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin console end to end, in Debian's headless chromium driven by playwright-core
 * ({@code src/test/console/console-e2e.mjs}): a tenant signs in with its token, sees its call appear on the Live
 * page while it is driven through FastAGI, AudioSocket and Realtime exactly as Asterisk and OpenAI would, sees it
 * leave, opens its story and plays its recording (range requests), is refused another tenant's call, runs a report
 * and downloads its CSV, moves and imports DIDs; then the admin sees the metrics. Screenshots of every page go to
 * {@code target/console-screenshots/}.
 *
 * <p>Needs {@code /usr/bin/chromium} ({@code .ci/run} installs it) and playwright-core in
 * {@code target/console-e2e} ({@code mvn} copies {@code src/test/console} there and runs {@code npm ci} before the
 * tests). Exclude it with {@code -DexcludedGroups=browser}.
 */
@Tag("browser")
class ConsoleBrowserTest {

  /** src/test/console as the build copied it, with node_modules from npm ci. */
  private static final Path SCRIPT_DIR = Path.of("target/console-e2e").toAbsolutePath();
  private static final Path SCREENSHOTS = Path.of("target/console-screenshots").toAbsolutePath();
  private static final String ADMIN = "admin-token-console-browser-test";
  private static final String ACME_TOKEN = "atl_acme-console-token-0123456789";
  private static final String GLOBEX_TOKEN = "atl_globex-console-token-0123456789";

  @TempDir
  Path dir;

  @Test
  void aTenantFollowsItsCallLiveHearsItsRecordingRunsAReportAndSeesNothingOfAnotherTenant() throws Exception {
    assertThat(Path.of("/usr/bin/chromium"))
        .as("Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run installs it)").exists();
    assertThat(SCRIPT_DIR.resolve("node_modules/playwright-core"))
        .as("playwright-core: mvn copies src/test/console to target/console-e2e and runs 'npm ci' there before the tests")
        .exists();
    Files.createDirectories(SCREENSHOTS);
    Path recordings = Files.createDirectories(dir.resolve("recordings"));

    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("test-asterisk"),
        NioIoHandler.newFactory());
    Process browser = null;
    // OpenAI's transcription endpoint as the recording pipeline calls it (multipart POST, JSON answer)
    com.sun.net.httpserver.HttpServer transcription = com.sun.net.httpserver.HttpServer.create(
        new InetSocketAddress("127.0.0.1", 0), 0);
    transcription.createContext("/v1/audio/transcriptions", exchange -> {
      exchange.getRequestBody().readAllBytes();
      byte[] answer = "{\"text\": \"Hello, thanks for calling. I would like to know my balance.\"}"
          .getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    transcription.start();
    try (TestDatabase.Db db = TestDatabase.fresh(8); FakeRealtimeServer realtime = new FakeRealtimeServer()) {
      long acme = tenant(db, "acme", ACME_TOKEN);
      long globex = tenant(db, "globex", GLOBEX_TOKEN);
      db.dsl().insertInto(DID).set(DID.TENANT_ID, acme).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
          .set(DID.SEGMENT, "acme-main").execute();
      db.dsl().insertInto(DID).set(DID.TENANT_ID, globex).set(DID.NUMBER, "+15559870000").set(DID.TRUNK, "DIDWW")
          .execute();
      Map<String, String> o = new HashMap<>();
      o.put("database.url", db.jdbcUrl());
      o.put("database.user", "postgres");
      o.put("data.dir", dir.resolve("data").toString());
      o.put("http.port", "0");
      o.put("agi.port", "0");
      o.put("audiosocket.port", "0");
      o.put("openai.api-key", "sk-test-console");
      o.put("realtime.url", realtime.url());
      o.put("recordings.dir", recordings.toString());
      o.put("recordings.poll-interval", "200ms");
      o.put("recordings.settle", "200ms");
      o.put("transcription.url", "http://127.0.0.1:" + transcription.getAddress().getPort() + "/v1");
      o.put("admin.token", ADMIN);
      try (Asterline app = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)))) {
        Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
        ProcessBuilder pb = new ProcessBuilder("node", "console-e2e.mjs").directory(SCRIPT_DIR.toFile())
            .redirectError(SCREENSHOTS.resolve("browser-stderr.log").toFile());
        pb.environment().put("BASE_URL", "http://" + app.httpHost() + ":" + app.httpPort());
        pb.environment().put("TENANT_TOKEN", ACME_TOKEN);
        pb.environment().put("ADMIN_TOKEN", ADMIN);
        pb.environment().put("SCREENSHOTS", SCREENSHOTS.toString());
        pb.environment().put("PROFILE", profile.toString());
        browser = pb.start();
        Script script = new Script(browser);

        script.expect("READY", 60);

        // acme's call and, at the same time, globex's
        FakeAsterisk asterisk = new FakeAsterisk(app.agiPort());
        FakeAsterisk.Exchange inbound = asterisk.send(FakeAsterisk.request("inbound").args("+15551230000"));
        assertThat(inbound.status()).isEqualTo("OK");
        UUID call = UUID.fromString(inbound.get("ASTERLINE_CALL_ID"));
        RecordingListener heard = new RecordingListener();
        AsteriskAudioSocketClient caller = AsteriskAudioSocketClient.connect(group,
            new InetSocketAddress("127.0.0.1", app.audioSocketPort()), call, AsteriskAudioSocketClient.SILENCE, heard);
        await("acme's greeting", () -> heard.agentFrames() >= 10);
        FakeRealtimeServer.Session session = realtime.awaitSession(0, 5_000);
        session.callerSaid("I would like to know my balance");
        session.respond(FakeRealtimeServer.tone(400), "Your balance is 42 dollars.");

        FakeAsterisk.Exchange other = asterisk.send(FakeAsterisk.request("inbound").args("+15559870000"));
        assertThat(other.status()).isEqualTo("OK");
        UUID otherCall = UUID.fromString(other.get("ASTERLINE_CALL_ID"));
        RecordingListener otherHeard = new RecordingListener();
        AsteriskAudioSocketClient otherCaller = AsteriskAudioSocketClient.connect(group,
            new InetSocketAddress("127.0.0.1", app.audioSocketPort()), otherCall, AsteriskAudioSocketClient.SILENCE,
            otherHeard);
        await("globex's greeting", () -> otherHeard.agentFrames() >= 10);

        script.send("LIVE " + call + " " + otherCall);
        script.expect("SEEN", 30);

        // acme's caller talks over a long answer (a barge-in), then the agent ends the call with its tool; globex's
        // caller hangs up. Asterisk's hangup handlers report the ends, acme's with its recording
        int before = heard.agentFrames();
        session.respond(FakeRealtimeServer.tone(3000), "Let me read you the last five transactions.");
        await("the long answer playing", () -> heard.agentFrames() >= before + 15);
        session.speechStarted();
        session.await("conversation.item.truncate", 5_000);
        session.callFunction("end_call", "{}");
        await("the agent to end acme's call", () -> !caller.isOpen());
        otherCaller.hangUp();
        await("acme's agent leg stored", () -> db.dsl().fetchValue(CALL.AGENT_END_REASON, CALL.ID.eq(call)) != null);
        await("globex's agent leg stored",
            () -> db.dsl().fetchValue(CALL.AGENT_END_REASON, CALL.ID.eq(otherCall)) != null);
        Path wav = recordings.resolve(Long.toString(acme)).resolve(call + ".wav");
        Files.createDirectories(wav.getParent());
        Files.write(wav, tone(6));
        Files.setLastModifiedTime(wav, FileTime.from(Instant.now().minusSeconds(30)));
        assertThat(asterisk.send(FakeAsterisk.request("call-end").args(call.toString(), "ANSWER", "16",
            wav.toString())).status()).isEqualTo("OK");
        assertThat(asterisk.send(FakeAsterisk.request("call-end").args(otherCall.toString(), "ANSWER", "16"))
            .status()).isEqualTo("OK");
        script.send("ENDED");
        script.expect("GONE", 30);

        await("the recording stored", () -> "done".equals(db.dsl().fetchValue(RECORDING_JOB.STATE,
            RECORDING_JOB.CALL_ID.eq(call))));
        script.send("STORED");
        String done = script.expect("DONE", 90);
        System.out.println("console browser test: " + done);
        assertThat(browser.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(browser.exitValue()).as(script.output()).isZero();
      }
    } finally {
      if (browser != null && browser.isAlive()) {
        browser.destroyForcibly();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
      transcription.stop(0);
    }
    for (String page : List.of("live", "calls", "call", "call-phone", "call-refused", "reports", "dids", "health")) {
      assertThat(SCREENSHOTS.resolve(page + ".png")).as("screenshot of " + page).isNotEmptyFile();
    }
  }

  private static long tenant(TestDatabase.Db db, String name, String token) {
    return db.dsl().insertInto(TENANT).set(TENANT.NAME, name).set(TENANT.MAX_CONCURRENT_CALLS, 5)
        .set(TENANT.TRANSCRIPTION_ENABLED, true)
        .set(TENANT.API_TOKEN_HASH, Auth.hash(token)).returning(TENANT.ID).fetchOne(TENANT.ID);
  }

  /** A 440 Hz tone, 8 kHz 16-bit mono PCM WAV, as MixMonitor writes with the slin format. */
  private static byte[] tone(int seconds) {
    int samples = 8000 * seconds;
    ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
        .put("WAVE".getBytes(StandardCharsets.US_ASCII))
        .put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16)
        .putShort((short) 1).putShort((short) 1).putInt(8000).putInt(16000).putShort((short) 2).putShort((short) 16)
        .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
    for (int i = 0; i < samples; i++) {
      b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / 8000.0)));
    }
    return b.array();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The browser script's side of the conversation: one line per step each way. */
  private static final class Script {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();
    private final Writer in;

    Script(Process p) {
      this.in = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(l);
          }
        } catch (IOException e) {
          lines.add("FAIL reading the script's output: " + e);
        }
        lines.add("EXIT");
      }, "console-script-output");
      reader.setDaemon(true);
      reader.start();
    }

    void send(String line) throws IOException {
      in.write(line + "\n");
      in.flush();
    }

    String expect(String word, int seconds) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (true) {
        String l = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null) {
          throw new AssertionError("the browser script did not say " + word + " within " + seconds + " s; it said: "
              + all + " (screenshots and its stderr in " + SCREENSHOTS + ")");
        }
        all.add(l);
        if (l.startsWith(word)) {
          return l;
        }
        if (l.startsWith("FAIL") || l.equals("EXIT")) {
          throw new AssertionError("the browser script failed waiting for " + word + ": " + l
              + " (screenshots and its stderr in " + SCREENSHOTS + ")");
        }
      }
    }

    String output() {
      return String.join("\n", all);
    }
  }
}
