package io.asterline.doctor;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;
import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.Main;
import io.asterline.app.Asterline;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.asterline.did.FakeTwilio;
import io.asterline.outbound.FakeAmi;
import io.asterline.realtime.FakeRealtimeServer;
import io.asterline.recording.LocalS3Server;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code asterline doctor} against a running node (FastAGI ping and AudioSocket on real sockets, a real PostgreSQL)
 * and the fakes that speak the wire protocols of what CI cannot run: Asterisk's AMI (which also places the probe's
 * AudioSocket leg and runs its FastAGI request, as Asterisk does), the Realtime API, S3 and Twilio.
 */
class DoctorTest {

  private static final String AMI_USER = "asterline";
  private static final String AMI_SECRET = "ami-secret-d0c70r-4f1e9a";
  private static final String OPENAI_KEY = "sk-doctor-test-key-5ae1";
  private static final String S3_SECRET = "s3-secret-d0c70r-77";
  private static final String BUCKET = "recordings";

  @TempDir
  static Path dir;

  private static TestDatabase.Db db;
  private static Asterline node;
  private static FakeRealtimeServer realtime;
  private static LocalS3Server s3;
  private static FakeTwilio twilio;
  private FakeAmi ami;

  @BeforeAll
  static void startNode() throws Exception {
    db = TestDatabase.fresh(4);
    long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "acme").returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551230000").set(DID.TRUNK, "TWILIO")
        .execute();
    Map<String, String> o = new HashMap<>();
    o.put("database.url", db.jdbcUrl());
    o.put("database.user", "postgres");
    o.put("http.port", "0");
    o.put("agi.port", "0");
    o.put("audiosocket.port", "0");
    o.put("mediaws.port", "0");
    o.put("audiosocket.io-threads", "1");
    o.put("recordings.dir", dir.toString());
    o.put("recordings.workers", "0");
    node = Asterline.start(AsterlineConfig.from(Settings.of(Map.of(), Map.of(), o)));
    realtime = new FakeRealtimeServer();
    s3 = new LocalS3Server();
    try (S3Client client = S3Client.builder().region(Region.US_EAST_1).endpointOverride(s3.endpoint())
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("doctor", S3_SECRET)))
        .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
      client.createBucket(b -> b.bucket(BUCKET));
    }
    twilio = new FakeTwilio();
  }

  @AfterAll
  static void stopNode() throws Exception {
    twilio.close();
    s3.close();
    realtime.close();
    node.close();
    db.close();
  }

  @BeforeEach
  void startAsterisk() throws IOException {
    // the shipped dialplan, the DIDs' trunk, and a FastAGI address that reaches the node
    ami = FakeAmi.start(AMI_USER, AMI_SECRET).placeCalls()
        .global("ASTERLINE_AGI", "agi://127.0.0.1:" + node.agiPort())
        .endpoint("TWILIO", "from-trunk");
  }

  @AfterEach
  void stopAsterisk() {
    ami.close();
  }

  private record Run(int exit, String out) {
    List<String> lines() {
      return out.lines().toList();
    }

    String line(String prefix) {
      return lines().stream().filter(l -> l.startsWith(prefix)).findFirst()
          .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + out));
    }
  }

  private Map<String, String> options() {
    Map<String, String> o = new HashMap<>();
    o.put("database.url", db.jdbcUrl());
    o.put("database.user", "postgres");
    o.put("ami.host", "127.0.0.1");
    o.put("ami.port", Integer.toString(ami.port()));
    o.put("ami.user", AMI_USER);
    o.put("ami.password", AMI_SECRET);
    o.put("agi.audiosocket-address", "127.0.0.1:" + node.audioSocketPort());
    o.put("openai.api-key", OPENAI_KEY);
    o.put("realtime.url", realtime.url());
    o.put("s3.bucket", BUCKET);
    o.put("s3.access-key", "doctor");
    o.put("s3.secret-key", S3_SECRET);
    o.put("s3.endpoint", s3.endpoint().toString());
    o.put("twilio.api-base-url", twilio.baseUrl());
    o.put("twilio.account-sid", FakeTwilio.ACCOUNT_SID);
    o.put("twilio.auth-token", FakeTwilio.AUTH_TOKEN);
    o.put("twilio.webhook-base-url", "https://asterline.example.com");
    return o;
  }

  private static Run doctor(Map<String, String> options) {
    List<String> args = new ArrayList<>(List.of("doctor", "--ping-wait", "5s"));
    options.forEach((k, v) -> args.add("-D" + k + "=" + v));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cli = Main.commandLine(Map.of());
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args.toArray(String[]::new));
    String all = out + err.toString();
    for (String secret : List.of(AMI_SECRET, "wrong-" + AMI_SECRET, OPENAI_KEY, S3_SECRET, FakeTwilio.AUTH_TOKEN)) {
      assertThat(all).as("no secret in the output").doesNotContain(secret);
    }
    return new Run(exit, out.toString());
  }

  @Test
  void aGoodSetupPassesEveryCheck() {
    ami.writeClasses("originate", "call", "reporting", "system");
    Run run = doctor(options());

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.lines()).noneMatch(l -> l.startsWith("FAIL") || l.startsWith("WARN") || l.startsWith("SKIP"));
    assertThat(run.line("OK    database")).contains("schema current");
    assertThat(run.line("OK    ami login")).contains("as 'asterline'");
    assertThat(run.line("OK    modules")).contains("chan_audiosocket").contains("app_amd").contains("func_module");
    assertThat(run.line("OK    media")).contains("ASTERLINE_MEDIA is audiosocket (unset)");
    assertThat(run.line("OK    dialplan")).contains("from-trunk").contains("asterline-voicemail");
    assertThat(run.line("OK    trunks")).contains("TWILIO (context from-trunk)");
    assertThat(run.line("OK    audiosocket")).contains("127.0.0.1:" + node.audioSocketPort());
    assertThat(run.line("OK    fastagi agi://127.0.0.1:" + node.agiPort())).contains("an Asterline node answered");
    assertThat(run.line("OK    realtime")).contains("model gpt-realtime");
    assertThat(run.line("OK    s3")).contains("bucket recordings");
    assertThat(run.line("OK    twilio")).contains(FakeTwilio.ACCOUNT_SID).contains("active");
    assertThat(run.line("OK    twilio calls")).contains("https://asterline.example.com/twilio/voice");
    // the probe went through Asterisk as an AGI application on an AudioSocket leg
    FakeAmi.Packet originate = ami.received().stream().filter(p -> "Originate".equalsIgnoreCase(p.action()))
        .findFirst().orElseThrow();
    assertThat(originate.get("Channel")).startsWith("AudioSocket/127.0.0.1:" + node.audioSocketPort() + "/");
    assertThat(originate.get("Application")).isEqualTo("AGI");
    assertThat(originate.get("Data")).startsWith("agi://127.0.0.1:" + node.agiPort() + "/ping,");
  }

  @Test
  void theShippedAmiUserChecksAllButFastAgiAndSaysWhichClassWouldLetIt() {
    // manager.conf.template: write = originate,call,reporting
    Run run = doctor(options());

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.line("OK    modules")).contains("res_pjsip");
    assertThat(run.line("OK    audiosocket")).isNotNull();
    assertThat(run.line("SKIP  fastagi")).contains("this AMI user may not originate AGI; add `system` to its write");
    assertThat(ami.received()).noneMatch(p -> "ModuleCheck".equalsIgnoreCase(p.action()));
  }

  @Test
  void aUserThatMayNotListModulesIsToldWhichClassToAdd() {
    ami.writeClasses("originate");
    Run run = doctor(options());

    assertThat(run.line("SKIP  modules")).contains("this AMI user may not list modules; add `system` to its "
        + "read/write to let doctor check them");
    assertThat(run.line("SKIP  dialplan")).contains("add `reporting`");
  }

  @Test
  void missingModulesAreEachNamedWithWhatBreaksAndTheExitIsOne() {
    ami.writeClasses("originate", "call", "reporting", "system");
    ami.withoutModules("chan_audiosocket", "res_audiosocket", "app_playtones", "app_amd");
    Run run = doctor(options());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  module chan_audiosocket")).contains("not running").contains("no call reaches the agent")
        .contains("module load chan_audiosocket.so");
    assertThat(run.line("FAIL  module res_audiosocket")).contains("not running");
    assertThat(run.line("FAIL  module app_playtones")).contains("not running");
    // the dialplan skips AMD without it: a warning, not a failure
    assertThat(run.line("WARN  module app_amd")).contains("answering-machine detection");
    assertThat(run.lines()).filteredOn(l -> l.startsWith("FAIL  module")).hasSize(3);
  }

  @Test
  void websocketMediaNeedsChanWebsocketElseCallsFallBackToAudioSocket() {
    ami.writeClasses("originate", "call", "reporting", "system");
    ami.global("ASTERLINE_MEDIA", "websocket");
    Run without = doctor(options());
    assertThat(without.exit()).as(without.out()).isZero();
    assertThat(without.line("WARN  media")).contains("chan_websocket and res_websocket_client are not running")
        .contains("every call falls back to AudioSocket").contains("set ASTERLINE_MEDIA=audiosocket");

    ami.withModules("chan_websocket");
    assertThat(doctor(options()).line("WARN  media")).contains("res_websocket_client is not running");

    ami.withModules("res_websocket_client");
    assertThat(doctor(options()).line("OK    media")).contains("ASTERLINE_MEDIA is websocket")
        .contains("chan_websocket and res_websocket_client are running");
  }

  @Test
  void withoutFuncModuleTheModulesAreAskedOneByOneWithModuleCheck() {
    ami.writeClasses("originate", "call", "reporting", "system");
    ami.withoutModules("func_module", "app_record");
    Run run = doctor(options());

    assertThat(run.line("FAIL  module func_module")).contains("IFMODULE()");
    assertThat(run.line("FAIL  module app_record")).contains("voicemail");
    assertThat(ami.received()).anyMatch(p -> "ModuleCheck".equalsIgnoreCase(p.action()));
  }

  @Test
  void aMissingContextAndAMissingTrunkEndpointAreNamed() {
    ami.withoutContexts("asterline-voicemail");
    ami.endpoint("TWILIO", "");
    Run run = doctor(options());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  dialplan")).contains("no context asterline-voicemail").contains("dialplan reload");
    assertThat(run.line("FAIL  trunk TWILIO")).contains("no PJSIP endpoint TWILIO").contains("1 DID(s)");
  }

  @Test
  void withoutPjsipEndpointFunctionTheTrunksAreSkippedNotReportedMissing() {
    ami.withoutModules("func_pjsip_endpoint");
    Run run = doctor(options());

    assertThat(run.line("SKIP  trunks")).contains("func_pjsip_endpoint is not running").contains("TWILIO");
    assertThat(run.lines()).noneMatch(l -> l.startsWith("FAIL  trunk"));
  }

  @Test
  void aWrongAmiPasswordNamesTheUserAndHostButNeverAPassword() {
    Map<String, String> o = options();
    o.put("ami.password", "wrong-" + AMI_SECRET);
    Run run = doctor(o);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  ami login")).contains("refused user 'asterline'")
        .contains("127.0.0.1:" + ami.port()).contains("set ami.password (ASTERISK_AMI_PASSWORD)");
  }

  @Test
  void anAudioSocketAddressNobodyListensOnFailsAndTheFastAgiProbeIsSkipped() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    ami.writeClasses("originate", "call", "reporting", "system");
    Map<String, String> o = options();
    o.put("agi.audiosocket-address", "127.0.0.1:" + closed);
    Run run = doctor(o);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  audiosocket")).contains("could not connect to AudioSocket at 127.0.0.1:" + closed)
        .contains("AGI_AUDIOSOCKET_ADDRESS");
    assertThat(run.line("SKIP  fastagi")).contains("did not connect");
  }

  @Test
  void aFastAgiAddressWithoutANodeFails() throws IOException {
    ami.writeClasses("originate", "call", "reporting", "system");
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ami.global("ASTERLINE_AGI", "agi://127.0.0.1:" + silent.getLocalPort());
      Map<String, String> o = options();
      Run run = doctor(o);

      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.line("FAIL  fastagi agi://127.0.0.1:" + silent.getLocalPort())).contains("no Asterline node")
          .contains("AGI_ALLOW");
    }
  }

  @Test
  void aRealtimeKeyRefusedWithA401SaysTheKeyIsRefused() throws Exception {
    try (RefusingRealtime refusing = new RefusingRealtime()) {
      Map<String, String> o = options();
      o.put("realtime.url", refusing.url());
      Run run = doctor(o);

      assertThat(run.exit()).isEqualTo(1);
      assertThat(run.line("FAIL  realtime")).contains("refused the key (HTTP 401)").contains("OPENAI_API_KEY");
    }
  }

  @Test
  void servicesThatAreNotConfiguredAreSkippedAndDoNotFail() {
    ami.writeClasses("originate", "call", "reporting", "system");
    Map<String, String> o = options();
    List.of("s3.bucket", "s3.access-key", "s3.secret-key", "s3.endpoint", "twilio.account-sid", "twilio.auth-token",
        "twilio.webhook-base-url")
        .forEach(o::remove);
    Run run = doctor(o);

    assertThat(run.exit()).as(run.out()).isZero();
    assertThat(run.line("SKIP  s3")).contains("s3.bucket is unset");
    assertThat(run.line("SKIP  twilio")).contains("twilio.account-sid is unset");
    assertThat(run.line("SKIP  twilio calls")).contains("no Twilio calls");
  }

  @Test
  void wrongS3CredentialsAndTwilioTokenFail() {
    Map<String, String> o = options();
    o.put("s3.bucket", "no-such-bucket");
    o.put("twilio.auth-token", "not-the-token-0000000000");
    Run run = doctor(o);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  s3")).contains("no-such-bucket").contains("does not exist");
    assertThat(run.line("FAIL  twilio")).contains("refused the credentials").contains("HTTP 401");
  }

  @Test
  void anUnreachableDatabaseFailsAndWhatNeedsItIsSkipped() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    ami.writeClasses("originate", "call", "reporting", "system");
    Map<String, String> o = options();
    o.remove("database.user");
    o.put("database.url", "postgresql://asterline:db-secret-d0c70r@127.0.0.1:" + closed + "/asterline");
    Run run = doctor(o);

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.line("FAIL  database")).contains("cannot connect to").contains("127.0.0.1:" + closed)
        .contains("DATABASE_URL");
    assertThat(run.out()).doesNotContain("db-secret-d0c70r");
    assertThat(run.line("SKIP  trunks")).contains("database");
    assertThat(run.line("SKIP  fastagi")).contains("without the database");
    // the rest still runs
    assertThat(run.line("OK    audiosocket")).isNotNull();
    assertThat(run.line("OK    realtime")).isNotNull();
  }

  /** What api.openai.com answers a WebSocket upgrade with a key it does not know: 401 and a JSON error. */
  private static final class RefusingRealtime implements AutoCloseable {
    private final ServerSocket server;

    RefusingRealtime() throws IOException {
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread t = new Thread(this::serve, "refusing-realtime");
      t.setDaemon(true);
      t.start();
    }

    String url() {
      return "ws://127.0.0.1:" + server.getLocalPort() + "/v1/realtime";
    }

    private void serve() {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          InputStream in = s.getInputStream();
          byte[] head = new byte[8192];
          int n = 0;
          while (n < head.length) {
            int r = in.read(head, n, head.length - n);
            if (r < 0) {
              break;
            }
            n += r;
            if (new String(head, 0, n, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
              break;
            }
          }
          String body = "{\"error\": {\"message\": \"Incorrect API key provided: sk-docto***5ae1. You can find "
              + "your API key at https://platform.openai.com/account/api-keys.\", \"type\": \"invalid_request_error\", "
              + "\"param\": null, \"code\": \"invalid_api_key\"}}";
          OutputStream out = s.getOutputStream();
          out.write(("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length() + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        } catch (IOException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
