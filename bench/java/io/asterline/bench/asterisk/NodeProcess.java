package io.asterline.bench.asterisk;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One Asterline node as an operator runs it: the packaged jar's {@code serve} in its own JVM, configured only
 * through the environment (as a deployment's {@code .env} does), its output in a log file beside the bench's
 * other files.
 */
final class NodeProcess implements AutoCloseable {

  final String name;
  final int http;
  final int agi;
  final int audioSocket;
  private final Path jar;
  private final Path log;
  private final Map<String, String> env = new LinkedHashMap<>();
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;

  NodeProcess(String name, Path jar, Path dir, int http, int agi, int audioSocket, Map<String, String> common)
      throws IOException {
    this.name = name;
    this.jar = jar;
    this.http = http;
    this.agi = agi;
    this.audioSocket = audioSocket;
    Path data = dir.resolve(name);
    Files.createDirectories(data);
    this.log = dir.resolve(name + ".log");
    env.putAll(common);
    env.put("ASTERLINE_DATA_DIR", data.toString());
    env.put("HTTP_PORT", Integer.toString(http));
    env.put("AGI_PORT", Integer.toString(agi));
    env.put("AUDIOSOCKET_PORT", Integer.toString(audioSocket));
  }

  /** Sets an environment variable for the next start. */
  NodeProcess with(String key, String value) {
    if (value == null) {
      env.remove(key);
    } else {
      env.put(key, value);
    }
    return this;
  }

  void start() throws IOException, InterruptedException {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    // BENCH_NODE_NICE runs the node at another scheduling priority (e.g. -5: its threads ahead of Asterisk's)
    String nice = System.getenv("BENCH_NODE_NICE");
    if (nice != null && !nice.isBlank()) {
      cmd.addAll(java.util.List.of("nice", "-n", nice.trim()));
    }
    cmd.addAll(java.util.List.of("java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC",
        // every collection and safepoint with its pause, to tell a stalled event loop's cause from the node's side
        "-Xlog:gc,safepoint:file=" + log.resolveSibling(name + "-gc.log") + ":uptime,pid:filecount=0"));
    // BENCH_NODE_JVM_OPTS adds JVM options, e.g. -XX:StartFlightRecording=filename=node.jfr or -XX:+UseZGC
    String extra = System.getenv("BENCH_NODE_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(java.util.List.of(extra.trim().split("\\s+")));
    }
    cmd.addAll(java.util.List.of("-jar", jar.toString(), "serve"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    process = pb.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
      }
      if (health() == 200) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(name + " did not become healthy within 60 s; see " + log);
  }

  /** Runs a command of the packaged jar with this node's environment, as an operator on its host would. */
  record CommandResult(int exit, String output) {}

  CommandResult command(String... args) throws IOException, InterruptedException {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("java", "-jar", jar.toString()));
    cmd.addAll(java.util.List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    return new CommandResult(p.exitValue(), out);
  }

  int health() {
    try {
      return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/health"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  String get(String path, String token) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  HttpResponse<String> post(String path, String token, String json) throws IOException, InterruptedException {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A metric's value summed over its label sets, from {@code /metrics}. */
  double metric(String name) throws IOException, InterruptedException {
    String text = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/metrics"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
    double sum = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  /** SIGTERM, as systemd or compose stop a node; the node drains for its grace period. */
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }
}
