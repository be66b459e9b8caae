package io.asterline.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.ops.AsteriskConfigLint.Dialect;
import io.asterline.ops.AsteriskConfigLint.Includes;
import io.asterline.ops.AsteriskConfigLint.Problem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class AsteriskConfigTest {

  private static final Includes NOTHING_EXISTS = target -> Includes.Result.MISSING;

  private static List<String> lint(String text, Dialect dialect) {
    return AsteriskConfigLint.lint("t.conf", text, dialect, false, NOTHING_EXISTS).stream()
        .map(Problem::toString).toList();
  }

  @Test
  void aCleanDialplanPasses() {
    String text = """
        ; a comment; with a semicolon
        ;-- a block comment
            [broken header
        --;
        [general]
        static = yes
        [globals]
        GREETING = hello\\; world
        [from-trunk]
        exten = _X.,1,NoOp(call to ${EXTEN})
         same = n,AGI(agi://asterline/inbound,${EXTEN})
         same = n(after),GotoIf($["${ASTERLINE_STATUS}" = "OK"]?ai,1)
         same = n,Dial(AudioSocket/asterline:9092/${ASTERLINE_CALL_ID}/c(slin),,g)
         same = n,Set(LABEL="a ) in quotes")
         same = n,Hangup
        exten => h,1,NoOp()
        include => asterline-failure
        """;
    assertThat(lint(text, Dialect.DIALPLAN)).isEmpty();
  }

  @Test
  void theLintNamesWhatWouldBreakTheDialplan() {
    String text = """
        setting = outside
        [from-trunk
        [from-trunk]
        same = n,Answer()
        exten = s,1,Set(X=${Y)
         same = n,Dial(AudioSocket/host:9092/${ID}/c(slin),,g
         same = x,Answer()
         same = n,Set(X=1))
        answer = yes
        just words
        #include missing.conf
        #exec /usr/bin/make-config
        """;
    assertThat(lint(text, Dialect.DIALPLAN)).containsExactly(
        "t.conf:1: 'setting' is outside any [section]",
        "t.conf:2: malformed section header '[from-trunk' (expected [name], [name](!) or [name](template))",
        "t.conf:4: 'same' before any 'exten' in this context",
        "t.conf:5: unbalanced ')' at column 10 in 'Set(X=${Y)'",
        "t.conf:6: unclosed '(' in 'Dial(AudioSocket/host:9092/${ID}/c(slin),,g'",
        "t.conf:7: bad priority 'x' (expected 1, n, n(label) or hint)",
        "t.conf:8: unbalanced ')' at column 9 in 'Set(X=1))'",
        "t.conf:9: 'answer' is not a dialplan line (expected exten, same, include, switch or ignorepat)",
        "t.conf:10: expected 'key = value', a [section] or an #include, got 'just words'",
        "t.conf:11: #include target 'missing.conf' does not exist",
        "t.conf:12: #exec runs a program at every reload and needs execincludes=yes; render the file instead");
  }

  @Test
  void modulesConfKeywordsAndNamesAreChecked() {
    String text = """
        [modules]
        autoload = yes
        lod = chan_pjsip.so
        require = chan_pjsip
        """;
    assertThat(lint(text, Dialect.MODULES)).containsExactly(
        "t.conf:3: unknown modules.conf keyword 'lod' (expected autoload, load, noload, require, preload or preload-require)",
        "t.conf:4: module name 'chan_pjsip' should end in .so");
  }

  @Test
  void unrenderedTemplateVariablesAreCaughtOutsideTemplates() {
    String text = """
        [transport-udp]
        external_media_address = ${EXTERNAL_IP}
        """;
    assertThat(lint(text, Dialect.PLAIN)).containsExactly(
        "t.conf:2: unrendered variable in 'external_media_address = ${EXTERNAL_IP}'");
    assertThat(AsteriskConfigLint.lint("t.conf.template", text, Dialect.PLAIN, true, NOTHING_EXISTS)).isEmpty();
  }

  @Test
  void pjsipReferencesMustResolveToSectionsOfTheRightType() {
    String text = """
        [udp]
        type = transport
        bind = 0.0.0.0:5060
        [TRUNK]
        type = endpoint
        context = from-trunk
        transport = udp
        aors = TRUNK
        outbound_auth = TRUNK-auth
        [TRUNK]
        type = aor
        contact = sip:trunk.example.com
        [TRUNK-identify]
        type = identify
        endpoint = TRUNKK
        match = 300.1.1.1
        match = 10.0.0.0/33, 192.0.2.0/24
        [orphan]
        context = x
        """;
    assertThat(AsteriskConfigLint.pjsip(Map.of("p.conf", text))).map(Problem::toString).containsExactlyInAnyOrder(
        "p.conf:4: endpoint [TRUNK] outbound_auth = TRUNK-auth, but there is no auth named [TRUNK-auth]",
        "p.conf:13: identify [TRUNK-identify] endpoint = TRUNKK, but there is no endpoint named [TRUNKK]",
        "p.conf:13: identify [TRUNK-identify] match '300.1.1.1' is neither an IPv4 address/network nor a host name",
        "p.conf:13: identify [TRUNK-identify] match '10.0.0.0/33' is neither an IPv4 address/network nor a host name",
        "p.conf:18: [orphan] has no type");
  }

  @Test
  void managerAclEntriesMustBeNetworks() {
    String text = """
        [asterline]
        deny = 0.0.0.0/0.0.0.0
        permit = 172.28.0.0/24
        permit = 10.0.0.0/255.0.255.0
        permit = asterline
        """;
    assertThat(AsteriskConfigLint.managerAcl("m.conf", text)).map(Problem::toString).containsExactly(
        "m.conf:4: permit = 10.0.0.0/255.0.255.0 is not an IPv4 address or network (a.b.c.d/len or a.b.c.d/mask)",
        "m.conf:5: permit = asterline is not an IPv4 address or network (a.b.c.d/len or a.b.c.d/mask)");
  }

  @Test
  void theShippedAsteriskConfigurationIsWellFormed() throws IOException {
    Path dir = Repo.asteriskConfig();
    Includes layout = AsteriskConfigLint.containerLayout(dir, Repo.dialplan());
    List<Problem> problems = new ArrayList<>();
    Map<String, String> pjsip = new LinkedHashMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().matches(".*\\.conf(\\.template)?")).sorted().toList();
    }
    assertThat(files).extracting(p -> p.getFileName().toString()).contains("pjsip.conf.template",
        "pjsip_trunk_didww.conf.template", "pjsip_trunk_twilio.conf.template", "rtp.conf.template",
        "manager.conf.template", "modules.conf", "extensions.conf", "logger.conf");
    for (Path file : files) {
      String name = file.getFileName().toString();
      String text = Repo.read(file);
      problems.addAll(AsteriskConfigLint.lint("docker/asterisk/" + name, text, AsteriskConfigLint.dialectOf(name),
          name.endsWith(".template"), layout));
      if (name.startsWith("pjsip")) {
        pjsip.put("docker/asterisk/" + name, text);
      }
    }
    problems.addAll(AsteriskConfigLint.pjsip(pjsip));
    assertThat(problems).map(Problem::toString).isEmpty();
  }

  @Test
  void theRepositoryDialplanIsWellFormedOnceItExists() throws IOException {
    Path dir = Repo.dialplan();
    if (!Files.isDirectory(dir)) {
      // The dialplan arrives with the FastAGI feature; until then extensions.conf's include of it is
      // checked only for its mount (extensionsConfIncludesTheDialplanComposeMounts).
      return;
    }
    Includes layout = AsteriskConfigLint.containerLayout(Repo.asteriskConfig(), dir);
    List<Problem> problems = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path file : s.filter(p -> p.getFileName().toString().endsWith(".conf")).sorted().toList()) {
        problems.addAll(AsteriskConfigLint.lint("dialplan/" + file.getFileName(), Repo.read(file), Dialect.DIALPLAN,
            false, layout));
      }
    }
    assertThat(problems).map(Problem::toString).isEmpty();
  }

  @Test
  void extensionsConfIncludesTheDialplanComposeMounts() {
    List<String> includes = AsteriskConfigLint.parse(Repo.read(Repo.asteriskConfig().resolve("extensions.conf")))
        .stream()
        .filter(l -> l.kind() == AsteriskConfigLint.Line.Kind.DIRECTIVE && l.key().equals("include"))
        .map(AsteriskConfigLint.Line::value)
        .toList();
    assertThat(includes).containsExactly("asterline/extensions_*.conf");
    assertThat(Repo.read(Repo.docker().resolve("docker-compose.yml")))
        .contains("- ../dialplan:/etc/asterisk/asterline:ro");

    Includes.Result result = AsteriskConfigLint.containerLayout(Repo.asteriskConfig(), Repo.dialplan())
        .resolve(includes.get(0));
    assertThat(result).isEqualTo(Files.isDirectory(Repo.dialplan()) ? Includes.Result.FOUND : Includes.Result.DEFERRED);
  }
}
