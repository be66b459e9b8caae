package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.Main;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A new user's first hour: {@code serve} as a process of its own on a fresh data directory with no token configured
 * prints one, and the commands run beside it on its embedded PostgreSQL. One serve for every check, since each start
 * costs seconds; commands run in this JVM (a new JVM costs seconds too) except where the process's own stdout is
 * what is checked.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FirstHourProcessTest {

  @TempDir
  static Path dir;

  static Process serve;
  static final List<String> serveOutput = new CopyOnWriteArrayList<>();
  static int port;
  static String firstToken;
  static final HttpClient http = HttpClient.newHttpClient();

  record Run(int exit, String out, String err) {}

  @BeforeAll
  static void startServe() throws Exception {
    serve = process("serve", "-Dhttp.port=0", "-Dagi.port=0", "-Daudiosocket.port=0", "-Dmediaws.port=0").redirectErrorStream(true).start();
    Thread reader = new Thread(() -> {
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          serveOutput.add(line);
        }
      } catch (Exception ignored) {
        // process ended
      }
    }, "serve-output");
    reader.setDaemon(true);
    reader.start();
    port = Integer.parseInt(await(Pattern.compile("http: listening on [0-9.]+:(\\d+)")));
    firstToken = await(Pattern.compile("Authorization: Bearer (atl_[A-Za-z0-9_-]+)\" http://127\\.0\\.0\\.1:" + port
        + "/api/tenants"));
  }

  @AfterAll
  static void stopServe() throws Exception {
    if (serve != null) {
      new ProcessBuilder("kill", "-TERM", Long.toString(serve.pid())).start().waitFor();
      if (!serve.waitFor(60, TimeUnit.SECONDS)) {
        serve.destroyForcibly();
      }
    }
  }

  @Test
  @Order(1)
  void thePrintedTokenOpensTheApiAndTenantOneGetsATokenFromTheCommandLine() throws Exception {
    HttpResponse<String> tenants = get("/api/tenants", firstToken);
    assertThat(tenants.statusCode()).isEqualTo(200);
    assertThat(tenants.body()).contains("\"id\":1");
    assertThat(get("/api/tenants", null).statusCode()).isEqualTo(401);
    // shown once, never logged: it appears in the banner lines only
    assertThat(serveOutput.stream().filter(l -> l.contains(firstToken)).count()).isEqualTo(2);

    Run tenantToken = command("token", "tenant", "1");
    assertThat(tenantToken.exit()).as(tenantToken.err()).isZero();
    String token = tenantToken.out().trim();
    assertThat(token).startsWith("atl_");
    assertThat(get("/api/asterisk-dids", token).statusCode()).isEqualTo(200);

    Run noTenant = command("token", "tenant", "999");
    assertThat(noTenant.exit()).isEqualTo(1);
    assertThat(noTenant.err()).contains("no tenant 999").doesNotContain("\tat ");
  }

  @Test
  @Order(2)
  void importsAndReportsRunBesideTheNodeOnItsDatabase() throws Exception {
    Path csv = dir.resolve("numbers.csv");
    Files.writeString(csv, "number,friendly_name\n+14155550123,front desk\n");
    Run imported = command("dids", "import", "csv", csv.toString(), "--segment", "first-hour", "--trunk", "DIDWW");
    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(get("/api/asterisk-dids", firstToken).body()).contains("+14155550123");

    Run report = run("report", "run", "did_usage_by_segment", "--format", "json");
    assertThat(report.exit()).as(report.err()).isZero();
    JsonNode rows = Json.mapper().readTree(report.out());
    assertThat(rows.toString()).contains("first-hour");
    // the log line naming the database went to stderr, not into the JSON
    assertThat(report.err()).contains("database: embedded PostgreSQL of the running Asterline");

    Run missing = command("dids", "import", "csv", dir.resolve("nope.csv").toString(),
        "--segment", "s", "--trunk", "T");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("cannot read").contains("no such file").doesNotContain("Exception");
  }

  @Test
  @Order(3)
  void rotationRetiresTheOldAdminToken() throws Exception {
    Run again = command("token", "admin");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("--rotate");

    Run rotated = command("token", "admin", "--rotate");
    assertThat(rotated.exit()).as(rotated.err()).isZero();
    String second = rotated.out().trim();
    assertThat(second).startsWith("atl_").isNotEqualTo(firstToken);
    // the running node sees the rotation at once: the printed token no longer opens anything
    assertThat(get("/api/tenants", firstToken).statusCode()).isEqualTo(401);
    assertThat(get("/api/tenants", second).statusCode()).isEqualTo(200);
  }

  private static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static ProcessBuilder process(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        // the packaged logging configuration, not the tests' logback-test.xml on this class path
        "-Dlogback.configurationFile=" + FirstHourProcessTest.class.getResource("/logback.xml"),
        "-cp", System.getProperty("java.class.path"), "io.asterline.Main"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.equals("DATABASE_URL") || k.contains("ADMIN_TOKEN") || k.equals("ASTERLINE_CONFIG"));
    env.put("ASTERLINE_DATA_DIR", dir.resolve("var").toString());
    return pb;
  }

  /** A command in this JVM, as Main runs it, with this test's environment. */
  private static Run command(String... args) {
    CommandLine cli = Main.commandLine(Map.of("ASTERLINE_DATA_DIR", dir.resolve("var").toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** A command as a process of its own, with the packaged logging configuration. */
  private static Run run(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = process(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("asterline " + String.join(" ", args) + " ends").isTrue();
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static String await(Pattern pattern) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : serveOutput) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.group(1);
        }
      }
      if (!serve.isAlive()) {
        throw new AssertionError("serve exited early:\n" + String.join("\n", serveOutput));
      }
      Thread.sleep(50);
    }
    throw new AssertionError("serve printed no " + pattern + ":\n" + String.join("\n", serveOutput));
  }
}
