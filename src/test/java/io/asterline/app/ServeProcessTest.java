package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `asterline serve` as a real process: it starts, answers, and stops in reverse order on SIGTERM. */
class ServeProcessTest {

  @TempDir
  Path dir;

  @Test
  void serveRunsUntilSigtermThenStopsServersBeforeTheDatabase() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        "io.asterline.Main", "serve", "-Dhttp.port=0", "-Dagi.port=0", "-Daudiosocket.port=0", "-Dmediaws.port=0")
        .redirectErrorStream(true);
    pb.environment().put("ASTERLINE_DATA_DIR", dir.toString());
    pb.environment().put("OPENAI_API_KEY", "sk-must-not-be-logged-0001");
    pb.environment().remove("DATABASE_URL");
    Process p = pb.start();
    List<String> lines = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.add(line);
        }
      } catch (Exception ignored) {
        // process ended
      }
    }, "serve-output");
    reader.start();
    try {
      int port = awaitPort(lines, p);
      HttpResponse<String> health = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(String.join("\n", lines)).contains("embedded PostgreSQL");

      // SIGTERM as systemd or docker stop sends it (Process.destroy would also close our end of its output)
      new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      reader.join(5000);
      String log = String.join("\n", lines);
      assertThat(log).contains("stopped http").contains("stopped database");
      assertThat(log.indexOf("stopped http")).isLessThan(log.indexOf("stopped database"));
      // calls stop coming in before what they need goes away
      assertThat(log.indexOf("stopped agi")).isBetween(log.indexOf("stopped http"), log.indexOf("stopped database"));
      assertThat(log).doesNotContain("sk-must-not-be-logged-0001");
    } finally {
      p.destroyForcibly();
    }
  }

  private static int awaitPort(List<String> lines, Process p) throws InterruptedException {
    Pattern listening = Pattern.compile("http: listening on [0-9.]+:(\\d+)");
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : lines) {
        Matcher m = listening.matcher(line);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      if (!p.isAlive()) {
        throw new AssertionError("serve exited early:\n" + String.join("\n", lines));
      }
      Thread.sleep(50);
    }
    throw new AssertionError("serve did not start:\n" + String.join("\n", lines));
  }
}
