package io.asterline.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CommandLineTest {

  record Run(int exit, String out, String err) {}

  private static Run run(Map<String, String> env, String... args) {
    CommandLine cli = Main.commandLine(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void configNeverPrintsASecretInClear() {
    Map<String, String> env = new HashMap<>();
    env.put("OPENAI_API_KEY", "sk-live-abcdef123456");
    env.put("DATABASE_URL", "postgresql://asterline:db-pass-42@db:5432/asterline");
    env.put("S3_BUCKET", "recordings");
    env.put("S3_ACCESS_KEY", "AKIA0123456789");
    env.put("S3_SECRET_KEY", "s3-secret-value");
    env.put("ASTERLINE_ADMIN_TOKEN", "admin-token-0123456789");
    Run r = run(env, "config");
    assertThat(r.exit()).isZero();
    assertThat(r.out())
        .doesNotContain("sk-live-abcdef123456")
        .doesNotContain("db-pass-42")
        .doesNotContain("AKIA0123456789")
        .doesNotContain("s3-secret-value")
        .doesNotContain("admin-token-0123456789")
        // the non-secret parts stay readable, with where they came from
        .contains("postgresql://asterline:******@db:5432/asterline")
        .containsPattern("openai\\.api-key\\s+= \\*+ \\(set\\)\\s+# env OPENAI_API_KEY")
        .containsPattern("http\\.port\\s+= 8080\\s+# default");
  }

  @Test
  void configReportsAnInvalidValueByKeyAndExitsNonZero() {
    Run r = run(Map.of("HTTP_PORT", "eighty"), "config");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("http.port").contains("env HTTP_PORT").contains("eighty");
  }

  @Test
  void configShowsARenamedKeySetUnderItsOldNameAndSaysToRenameIt() {
    Run r = run(Map.of("AGI_MAX_CALLS", "12"), "config", "-Dagi.max-call-duration=2h");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).containsPattern("admission\\.max-calls\\s+= 12\\s+# env AGI_MAX_CALLS")
        .containsPattern("admission\\.max-call-duration\\s+= 2h\\s+# option -Dagi.max-call-duration")
        .contains("agi.max-calls is now admission.max-calls")
        .doesNotContain("unknown key agi.max-call-duration");
  }

  @Test
  void configOptionsOverrideTheEnvironment() {
    Run r = run(Map.of("HTTP_PORT", "9000"), "config", "-Dhttp.port=9100", "-Dhtp.bind=x");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).containsPattern("http\\.port\\s+= 9100\\s+# option -Dhttp.port")
        .contains("unknown key htp.bind");
  }

  @Test
  void wrongUsageExitsNonZeroNamingTheBadOption() {
    Run unknownOption = run(Map.of(), "serve", "--no-such-option");
    assertThat(unknownOption.exit()).isNotZero();
    assertThat(unknownOption.err()).contains("--no-such-option");

    Run unknownCommand = run(Map.of(), "launch");
    assertThat(unknownCommand.exit()).isNotZero();
    assertThat(unknownCommand.err()).contains("launch");

    Run noCommand = run(Map.of());
    assertThat(noCommand.exit()).isNotZero();
    assertThat(noCommand.err()).contains("serve");
  }

  /** Every command there is, `call` included, is named without a command and in --help. */
  @Test
  void withoutACommandEveryCommandIsNamed() {
    Run none = run(Map.of());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(Main.commandLine(Map.of()).getSubcommands().keySet())
        .contains("serve", "migrate", "config", "doctor", "token", "dids", "recordings", "report", "call")
        .allSatisfy(name -> {
          assertThat(none.err()).as(name).containsPattern("a command is required: .*\\b" + name + "\\b");
          assertThat(run(Map.of(), "--help").out()).as(name).containsPattern("(?m)^  " + name + "\\s");
        });
  }

  @Test
  void everyCommandHasHelp() {
    for (String command : new String[] {"serve", "migrate", "config"}) {
      Run r = run(Map.of(), command, "--help");
      assertThat(r.exit()).as(command).isZero();
      assertThat(r.out()).as(command).contains("Usage: asterline " + command).contains("--config");
    }
    assertThat(run(Map.of(), "--help").out()).contains("serve").contains("migrate").contains("config");
  }

  @Test
  void badConfigurationStopsServeBeforeAnythingStarts() {
    Run r = run(Map.of("DATABASE_URL", "mysql://x/y"), "serve");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("configuration error").contains("database.url");
  }

  @Test
  void aUsageErrorIsOneLineAndAPointerToTheHelpWithExitTwo() {
    Run r = run(Map.of(), "dids", "import", "csv", "numbers.csv", "--segment", "s");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--trunk").contains("see 'asterline dids import csv --help'")
        .doesNotContain("Usage:");
    assertThat(r.err().lines().count()).isEqualTo(2);
  }

  @Test
  void aMissingCsvFileIsNamedWithoutATraceAndBeforeAnyDatabase() {
    Run r = run(Map.of("DATABASE_URL", "postgresql://nobody:x@127.0.0.1:1/none"),
        "dids", "import", "csv", "no-such-numbers.csv", "--segment", "s", "--trunk", "T");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("asterline dids import csv: cannot read no-such-numbers.csv: no such file")
        .doesNotContain("Exception");
  }

  @Test
  void twilioHelpShowsItsDefaultedArgumentsAsOptional() {
    Run r = run(Map.of(), "dids", "import", "twilio", "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("[SEGMENT] [TRUNK]");
  }
}
