package io.asterline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What the compose file publishes, how the image runs, and how systemd stops the service. */
class DeploymentFilesTest {

  private static final Pattern PORT_ENTRY = Pattern.compile("^\\s+- \"([^\"]+)\"\\s*$");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(s|m)");

  /** Published port mappings per service, read from the compose file's ports: lists. */
  static Map<String, List<String>> publishedPorts(String compose) {
    Map<String, List<String>> ports = new LinkedHashMap<>();
    String service = null;
    boolean inPorts = false;
    for (String line : compose.split("\n")) {
      if (line.matches("^  [a-z][a-z0-9_-]*:\\s*$")) {
        service = line.trim().replace(":", "");
        inPorts = false;
      } else if (line.matches("^    ports:\\s*$")) {
        inPorts = true;
      } else if (inPorts) {
        Matcher m = PORT_ENTRY.matcher(line);
        if (m.matches()) {
          ports.computeIfAbsent(service, s -> new ArrayList<>()).add(m.group(1));
        } else if (!line.isBlank()) {
          inPorts = false;
        }
      }
    }
    return ports;
  }

  @Test
  void onlySipRtpAndLoopbackHttpArePublished() {
    Map<String, List<String>> ports = publishedPorts(Repo.read(Repo.docker().resolve("docker-compose.yml")));

    assertThat(ports).containsOnlyKeys("asterline", "asterisk");
    // the HTTP API on host loopback only; FastAGI (4573) and AudioSocket (9092) not at all
    assertThat(ports.get("asterline")).containsExactly("127.0.0.1:8080:8080");
    assertThat(ports.get("asterisk")).containsExactly(
        "5060:5060/udp",
        "${RTP_PORT_START:-10000}-${RTP_PORT_END:-10999}:${RTP_PORT_START:-10000}-${RTP_PORT_END:-10999}/udp");
    assertThat(String.join(" ", ports.get("asterisk"))).doesNotContain("5038");
  }

  @Test
  void thePortReaderSeesAPublishedFastAgiPort() {
    String compose = """
        services:
          asterline:
            image: x
            ports:
              - "127.0.0.1:8080:8080"
              - "4573:4573"
            networks:
              - asterline
        """;
    assertThat(publishedPorts(compose)).containsEntry("asterline", List.of("127.0.0.1:8080:8080", "4573:4573"));
  }

  @Test
  void theImageRunsTheJarAsANonRootUserWithAHealthCheck() {
    String dockerfile = Repo.read(Repo.docker().resolve("Dockerfile"));
    String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));

    assertThat(dockerfile).contains("FROM maven:3.9-eclipse-temurin-17 AS build", "mvn -B -q",
        "package -DskipTests");
    assertThat(runtime).startsWith("\nFROM eclipse-temurin:17-jre");
    Matcher user = Pattern.compile("(?m)^USER (\\S+)$").matcher(runtime);
    assertThat(user.find()).as("USER in the runtime stage").isTrue();
    assertThat(user.group(1)).isNotIn("root", "0");
    assertThat(runtime).contains("HEALTHCHECK", "/usr/local/bin/asterline-healthcheck", "EXPOSE 8080 4573 9092",
        "ENTRYPOINT [\"java\", \"-XX:MaxRAMPercentage=75\", \"-jar\", \"/app/asterline.jar\"]", "CMD [\"serve\"]");
  }

  @Test
  void systemdWaitsLongerThanComposeAndRestartsOnFailure() {
    String unit = Repo.read(Repo.docker().resolve("systemd/asterline.service"));
    Map<String, String> service = new LinkedHashMap<>();
    for (String line : unit.split("\n")) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        service.putIfAbsent(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    assertThat(service).containsEntry("User", "asterline")
        .containsEntry("EnvironmentFile", "/etc/asterline/asterline.env")
        .containsEntry("Restart", "on-failure")
        .containsEntry("NoNewPrivileges", "yes")
        .containsEntry("ProtectSystem", "strict")
        .containsKey("ExecStart");
    assertThat(service.get("ExecStart")).endsWith("-jar /opt/asterline/asterline.jar serve");

    // Both give the graceful shutdown the same room, so behaviour does not depend on how it is run.
    String compose = Repo.read(Repo.docker().resolve("docker-compose.yml"));
    Matcher grace = Pattern.compile("stop_grace_period: (\\S+)").matcher(compose);
    assertThat(grace.find()).isTrue();
    Duration composeStop = duration(grace.group(1));
    Duration systemdStop = duration(service.get("TimeoutStopSec"));
    assertThat(systemdStop).isEqualTo(composeStop).isGreaterThanOrEqualTo(Duration.ofSeconds(90));
  }

  private static Duration duration(String s) {
    Matcher m = DURATION.matcher(s);
    assertThat(m.matches()).as("duration " + s).isTrue();
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("m") ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
  }
}
