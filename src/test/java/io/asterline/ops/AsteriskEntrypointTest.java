package io.asterline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.ops.AsteriskConfigLint.Problem;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs docker/asterisk/docker-entrypoint.sh with bash, as the Asterisk container does, against a
 * temporary configuration directory, and checks what Asterisk would then read.
 */
class AsteriskEntrypointTest {

  @TempDir
  Path etc;

  @TempDir
  Path output;

  private record Run(int exit, String stdout, String stderr) {}

  private static Map<String, String> fullEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("EXTERNAL_IP", "203.0.113.10");
    env.put("COMPOSE_SUBNET", "172.28.0.0/24");
    env.put("RTP_PORT_START", "10000");
    env.put("RTP_PORT_END", "10999");
    env.put("SIP_TRUNKS", "didww,twilio");
    env.put("AMI_USERNAME", "asterline");
    env.put("AMI_SECRET", "s3cr&t\\with$specials");
    env.put("MEDIAWS_URI", "ws://asterline:9093/media");
    env.put("MEDIAWS_PASSWORD", "media-secret");
    env.put("DIDWW_OUTBOUND_HOST", "nyc.us.out.didww.com");
    env.put("DIDWW_SIP_USERNAME", "didww-user");
    env.put("DIDWW_SIP_PASSWORD", "didww-pass");
    env.put("TWILIO_TERMINATION_HOST", "mytrunk.pstn.twilio.com");
    env.put("TWILIO_SIP_USERNAME", "twilio-user");
    env.put("TWILIO_SIP_PASSWORD", "twilio-pass");
    return env;
  }

  private Run render(Map<String, String> vars) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("bash", Repo.asteriskConfig().resolve("docker-entrypoint.sh").toString(),
        "echo", "asterisk-started");
    Map<String, String> env = pb.environment();
    String path = env.get("PATH");
    env.clear();
    env.put("PATH", path);
    env.put("ASTERISK_TEMPLATE_DIR", Repo.asteriskConfig().toString());
    env.put("ASTERISK_CONFIG_DIR", etc.toString());
    env.putAll(vars);
    Path out = Files.createTempFile(output, "out", ".txt");
    Path err = Files.createTempFile(output, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(20, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("docker-entrypoint.sh did not finish within 20 s");
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }

  private List<String> renderedFiles() throws IOException {
    try (Stream<Path> s = Files.list(etc)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void rendersEveryTemplateThenStartsTheCommand() throws Exception {
    Run run = render(fullEnvironment());

    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(run.stdout()).isEqualTo("asterisk-started\n");
    assertThat(renderedFiles()).containsExactly("amd.conf", "chan_websocket.conf", "extensions.conf", "logger.conf",
        "manager.conf", "modules.conf", "pjsip.conf", "pjsip_trunk_didww.conf", "pjsip_trunk_twilio.conf", "rtp.conf",
        "websocket_client.conf");

    String pjsip = Files.readString(etc.resolve("pjsip.conf"));
    assertThat(pjsip).contains("external_signaling_address = 203.0.113.10", "external_media_address = 203.0.113.10",
        "local_net = 172.28.0.0/24");
    assertThat(Files.readString(etc.resolve("rtp.conf"))).contains("rtpstart = 10000", "rtpend = 10999");
    // '&', '\' and '$' reach Asterisk literally (bash 5.2 would expand an unquoted '&').
    String manager = Files.readString(etc.resolve("manager.conf"));
    assertThat(manager).contains("[asterline]", "secret = s3cr&t\\with$specials", "permit = 172.28.0.0/24");
    assertThat(Files.readString(etc.resolve("pjsip_trunk_twilio.conf")))
        .contains("contact = sip:mytrunk.pstn.twilio.com", "password = twilio-pass");
    // Plain files are copied unchanged: the dialplan's own variables are not touched.
    assertThat(Files.readString(etc.resolve("extensions.conf")))
        .isEqualTo(Repo.read(Repo.asteriskConfig().resolve("extensions.conf")));

    // Files holding credentials are not world-readable.
    assertThat(Files.readString(etc.resolve("websocket_client.conf")))
        .contains("uri = ws://asterline:9093/media", "password = media-secret");
    for (String secretFile : List.of("manager.conf", "pjsip_trunk_didww.conf", "pjsip_trunk_twilio.conf",
        "websocket_client.conf")) {
      assertThat(Files.getPosixFilePermissions(etc.resolve(secretFile))).doesNotContain(PosixFilePermission.OTHERS_READ);
    }
  }

  @Test
  void whatItRendersIsWellFormedAsteriskConfiguration() throws Exception {
    assertThat(render(fullEnvironment()).exit()).isZero();

    List<Problem> problems = new ArrayList<>();
    Map<String, String> pjsip = new LinkedHashMap<>();
    AsteriskConfigLint.Includes layout = AsteriskConfigLint.containerLayout(etc, Repo.dialplan());
    for (String name : renderedFiles()) {
      String text = Files.readString(etc.resolve(name));
      problems.addAll(AsteriskConfigLint.lint(name, text, AsteriskConfigLint.dialectOf(name), false, layout));
      if (name.startsWith("pjsip")) {
        pjsip.put(name, text);
      }
    }
    problems.addAll(AsteriskConfigLint.pjsip(pjsip));
    problems.addAll(AsteriskConfigLint.managerAcl("manager.conf", Files.readString(etc.resolve("manager.conf"))));
    assertThat(problems).map(Problem::toString).isEmpty();
  }

  @Test
  void rendersOnlyTheTrunksAskedForAndNeedsOnlyTheirVariables() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("SIP_TRUNKS", " Twilio ");
    env.keySet().removeIf(k -> k.startsWith("DIDWW_"));
    // a file left from an earlier start with both trunks
    Files.writeString(etc.resolve("pjsip_trunk_didww.conf"), "[stale]\n");

    Run run = render(env);

    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(renderedFiles()).contains("pjsip_trunk_twilio.conf").doesNotContain("pjsip_trunk_didww.conf");
  }

  @Test
  void aMissingVariableStopsTheStartNamingIt() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.remove("EXTERNAL_IP");

    Run run = render(env);

    assertThat(run.exit()).isNotZero();
    assertThat(run.stdout()).doesNotContain("asterisk-started");
    assertThat(run.stderr()).contains("EXTERNAL_IP is not set; pjsip.conf.template needs it");
  }

  @Test
  void anEmptyVariableCountsAsMissing() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("TWILIO_SIP_PASSWORD", "");

    Run run = render(env);

    assertThat(run.exit()).isNotZero();
    assertThat(run.stderr()).contains("TWILIO_SIP_PASSWORD is not set");
  }

  @Test
  void aSemicolonInASecretIsRefusedWithoutPrintingTheSecret() throws Exception {
    Map<String, String> env = new HashMap<>(fullEnvironment());
    env.put("AMI_SECRET", "first-half;second-half");

    Run run = render(env);

    assertThat(run.exit()).isNotZero();
    assertThat(run.stderr()).contains("AMI_SECRET contains ';'").doesNotContain("first-half");
    assertThat(renderedFiles()).doesNotContain("manager.conf");
  }

  @Test
  void aLineBreakInAValueIsRefused() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("TWILIO_SIP_USERNAME", "user\nallow = all");

    Run run = render(env);

    assertThat(run.exit()).isNotZero();
    assertThat(run.stderr()).contains("TWILIO_SIP_USERNAME contains a line break");
  }

  @Test
  void anUnknownTrunkOrAnEmptyListIsRefused() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("SIP_TRUNKS", "didww,voipms");
    Run unknown = render(env);
    assertThat(unknown.exit()).isNotZero();
    assertThat(unknown.stderr()).contains("SIP_TRUNKS names 'voipms', but there is no pjsip_trunk_voipms.conf.template");

    env.put("SIP_TRUNKS", " , ");
    Run empty = render(env);
    assertThat(empty.exit()).isNotZero();
    assertThat(empty.stderr()).contains("SIP_TRUNKS is empty");
  }

  @Test
  void anInvertedRtpRangeIsRefused() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("RTP_PORT_START", "20000");
    env.put("RTP_PORT_END", "10000");
    Run inverted = render(env);
    assertThat(inverted.exit()).isNotZero();
    assertThat(inverted.stderr()).contains("RTP_PORT_START (20000) must be below RTP_PORT_END (10000)");

    env.put("RTP_PORT_START", "10k");
    Run notANumber = render(env);
    assertThat(notANumber.exit()).isNotZero();
    assertThat(notANumber.stderr()).contains("must be port numbers");
  }

  @Test
  void aNonNumericUidIsRefused() throws Exception {
    Map<String, String> env = fullEnvironment();
    env.put("PUID", "asterisk");

    Run run = render(env);

    assertThat(run.exit()).isNotZero();
    assertThat(run.stdout()).doesNotContain("asterisk-started");
    assertThat(run.stderr()).contains("PUID and PGID must be numeric ids");
  }
}
