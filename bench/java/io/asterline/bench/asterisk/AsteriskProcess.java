package io.asterline.bench.asterisk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The Asterisk under test: an installed Asterisk run on a configuration rendered from the repository exactly as
 * the container's entry point renders it ({@code docker/asterisk/docker-entrypoint.sh} with the deployment
 * variables of {@code docker/.env.example}), the repository's {@code dialplan/} included as compose mounts it,
 * and only addresses changed so that everything stays on loopback: the SIP transport and AMI bound to
 * 127.0.0.1 on the bench's ports, the DIDWW trunk's identify matching 127.0.0.1 (the bench's carrier), the
 * dialplan's FastAGI address. Nothing of Asterisk's own samples is used: the configuration directory holds
 * only what the project ships, as on a bare install.
 */
final class AsteriskProcess implements AutoCloseable {

  record Ports(int sip, int ami, int rtpStart, int rtpEnd, int carrier) {}

  private final Path asterisk;
  private final Path dir;
  private final Path etc;
  private final Path conf;
  private Process process;

  AsteriskProcess(Path asterisk, Path repo, Path dir, Ports ports, String amiUser, String amiSecret, String agiUrls,
      Path sounds) throws IOException, InterruptedException {
    this.asterisk = asterisk;
    this.dir = dir;
    this.etc = dir.resolve("etc");
    this.conf = etc.resolve("asterisk.conf");
    Files.createDirectories(etc);
    render(repo, ports, amiUser, amiSecret);
    copyDialplan(repo);
    localise(ports, agiUrls);
    writeAsteriskConf(sounds);
  }

  /** The entry point, run as compose runs it, with {@code true} as the command instead of Asterisk. */
  private void render(Path repo, Ports ports, String amiUser, String amiSecret) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", repo.resolve("docker/asterisk/docker-entrypoint.sh").toString(), "true");
    Map<String, String> env = pb.environment();
    env.put("ASTERISK_TEMPLATE_DIR", repo.resolve("docker/asterisk").toString());
    env.put("ASTERISK_CONFIG_DIR", etc.toString());
    env.put("SIP_TRUNKS", "didww");
    env.put("EXTERNAL_IP", "127.0.0.1");
    env.put("COMPOSE_SUBNET", "127.0.0.0/8");
    env.put("RTP_PORT_START", Integer.toString(ports.rtpStart()));
    env.put("RTP_PORT_END", Integer.toString(ports.rtpEnd()));
    env.put("AMI_USERNAME", amiUser);
    env.put("AMI_SECRET", amiSecret);
    // the WebSocket transport's connection: localised to node1's mediaws port by mediaWs() before start
    env.put("MEDIAWS_URI", "ws://127.0.0.1:9093/media");
    env.put("MEDIAWS_PASSWORD", MEDIAWS_PASSWORD);
    env.put("DIDWW_OUTBOUND_HOST", "127.0.0.1:" + ports.carrier());
    env.put("DIDWW_SIP_USERNAME", "bench");
    env.put("DIDWW_SIP_PASSWORD", "bench-password-not-used");
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("docker-entrypoint.sh failed: " + out);
    }
  }

  private void copyDialplan(Path repo) throws IOException {
    Path target = etc.resolve("asterline");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(repo.resolve("dialplan"))) {
      for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".conf")).toList()) {
        Files.copy(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /** Only addresses: what an operator running everything on one host would set. */
  private void localise(Ports ports, String agiUrls) throws IOException {
    replace("pjsip.conf", "bind = 0.0.0.0:5060", "bind = 127.0.0.1:" + ports.sip());
    replace("manager.conf", "bindaddr = 0.0.0.0", "bindaddr = 127.0.0.1");
    replace("manager.conf", "port = 5038", "port = " + ports.ami());
    Path didww = etc.resolve("pjsip_trunk_didww.conf");
    Files.writeString(didww, Files.readString(didww).replace("[DIDWW-identify]\n", "[DIDWW-identify]\nmatch = 127.0.0.1\n"));
    replace("extensions.conf", "ASTERLINE_AGI = agi://asterline:4573", "ASTERLINE_AGI = " + agiUrls);
    replace("extensions.conf", "ASTERLINE_TRUNK = TWILIO", "ASTERLINE_TRUNK = DIDWW");
  }

  /** The Basic-auth password websocket_client.conf gives the nodes (their MEDIAWS_PASSWORD). */
  static final String MEDIAWS_PASSWORD = "bench-mediaws-secret-0123456789";

  /**
   * Points websocket_client.conf's connection at node1's media WebSocket port and adds node2's as
   * {@code [asterline-b]} (a copy of the shipped one), before start.
   */
  void mediaWs(int port1, int port2) throws IOException {
    Path f = etc.resolve("websocket_client.conf");
    String shipped = Files.readString(f);
    String first = "uri = ws://127.0.0.1:9093/media";
    if (!shipped.contains(first) || !shipped.contains("[asterline]")) {
      throw new IllegalStateException("websocket_client.conf no longer has [asterline] with '" + first
          + "': update the bench's localisation");
    }
    String section = shipped.substring(shipped.indexOf("[asterline]"));
    Files.writeString(f, shipped.replace(first, "uri = ws://127.0.0.1:" + port1 + "/media") + "\n"
        + section.replace("[asterline]", "[asterline-b]").replace(first, "uri = ws://127.0.0.1:" + port2 + "/media"));
  }

  /** The agent transport the shipped extensions.conf picks (ASTERLINE_MEDIA), as rendered. */
  String media() throws IOException {
    for (String line : Files.readString(etc.resolve("extensions.conf")).split("\n")) {
      if (line.startsWith("ASTERLINE_MEDIA = ")) {
        return line.substring("ASTERLINE_MEDIA = ".length()).trim();
      }
    }
    return "audiosocket";
  }

  /** Sets a global of the dialplan (extensions.conf [globals]) before start. */
  void global(String name, String value) throws IOException {
    Path f = etc.resolve("extensions.conf");
    String text = Files.readString(f);
    text = text.replace("[globals]\n", "[globals]\n" + name + " = " + value + "\n");
    Files.writeString(f, text);
  }

  private void replace(String file, String from, String to) throws IOException {
    Path f = etc.resolve(file);
    String text = Files.readString(f);
    if (!text.contains(from)) {
      throw new IllegalStateException(file + " no longer contains '" + from + "': update the bench's localisation");
    }
    Files.writeString(f, text.replace(from, to));
  }

  private void writeAsteriskConf(Path sounds) throws IOException {
    Path data = dir.resolve("data");
    Files.createDirectories(data);
    // Asterisk's XML documentation is part of its installation: without it the core refuses to start
    // ("Stasis initialization failed"); sound files are not, and are left out unless asked for
    Path installed = Path.of("/var/lib/asterisk");
    for (String d : List.of("documentation", "static-http", "firmware", "images", "phoneprov", "rest-api")) {
      if (Files.isDirectory(installed.resolve(d))) {
        Files.createSymbolicLink(data.resolve(d), installed.resolve(d));
      }
    }
    if (sounds != null) {
      Files.createSymbolicLink(data.resolve("sounds"), sounds);
    }
    for (String d : List.of("lib", "spool", "run", "log")) {
      Files.createDirectories(dir.resolve(d));
    }
    Files.writeString(conf, String.join("\n",
        "[directories]",
        "astetcdir => " + etc,
        "astmoddir => /usr/lib/asterisk/modules",
        "astvarlibdir => " + dir.resolve("lib"),
        "astdbdir => " + dir.resolve("lib"),
        "astkeydir => " + dir.resolve("lib"),
        "astdatadir => " + data,
        "astagidir => " + data.resolve("agi-bin"),
        "astspooldir => " + dir.resolve("spool"),
        "astrundir => " + dir.resolve("run"),
        "astlogdir => " + dir.resolve("log"),
        "astsbindir => /usr/sbin",
        "[options]",
        "maxfiles = 16384",
        "") + "\n");
  }

  Path etc() {
    return etc;
  }

  Path log() {
    return dir.resolve("log").resolve("messages.log");
  }

  void start() throws IOException, InterruptedException {
    process = new ProcessBuilder(asterisk.toString(), "-C", conf.toString(), "-f", "-n", "-q")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("console.log").toFile())
        .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Asterisk exited with " + process.exitValue() + "; see "
            + dir.resolve("console.log") + " and " + log());
      }
      if (cli("core waitfullybooted").contains("fully booted")) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("Asterisk did not finish booting within 30 s; see " + dir.resolve("console.log"));
  }

  long pid() {
    return process.pid();
  }

  /** A CLI command through the control socket ({@code asterisk -rx}). */
  String cli(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(asterisk.toString(), "-C", conf.toString(), "-rx", command)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /** The lines of Asterisk's messages log that contain any of the fragments. */
  List<String> logLines(String... fragments) throws IOException {
    List<String> found = new ArrayList<>();
    if (!Files.exists(log())) {
      return found;
    }
    for (String line : Files.readAllLines(log())) {
      for (String f : fragments) {
        if (line.contains(f)) {
          found.add(line);
          break;
        }
      }
    }
    return found;
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      try {
        cli("core stop now");
      } catch (IOException e) {
        // fall through to the signal
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    }
  }
}
