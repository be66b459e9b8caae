package io.asterline.doctor;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.asterline.app.AsterlineConfig;
import io.asterline.config.ConfigOptions;
import io.asterline.config.Json;
import io.asterline.config.ConfigException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = {"Check a deployment from Asterline's side: the database, Asterisk over AMI (login, modules, "
        + "dialplan contexts, trunks, whether the FastAGI and AudioSocket addresses reach a node), the Realtime API, "
        + "S3 and Twilio.",
        "Prints one line per check: OK, WARN (works with less), FAIL (with what to fix) or SKIP (not checked, and "
            + "why). Exit status 0 when nothing failed, 1 otherwise."})
public final class DoctorCommand implements Callable<Integer> {

  @Mixin
  ConfigOptions config;

  @Spec
  CommandSpec spec;

  @Option(names = "--timeout", defaultValue = "10s", paramLabel = "DURATION",
      description = "longest wait for each service (Realtime, S3, Twilio), e.g. 10s")
  String timeout;

  @Option(names = "--ping-wait", defaultValue = "5s", paramLabel = "DURATION",
      description = "how long to wait for a node to answer the FastAGI ping Asterisk runs")
  String pingWait;

  private final Map<String, String> env;

  public DoctorCommand(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    AsterlineConfig parsed;
    try {
      parsed = AsterlineConfig.from(config.settings(env));
    } catch (ConfigException e) {
      out.println(Finding.fail("configuration", e.getMessage()).line());
      out.flush();
      return 1;
    }
    out.println(Finding.ok("configuration", "read and valid").line());
    out.flush();
    // the findings are the output: the parts' own lines (asterisk-java's connecting, logged in, reflection
    // warnings) would only interleave with them; ASTERLINE_LOG_LEVEL set asks for them back
    Map<Logger, Level> before = new java.util.LinkedHashMap<>();
    if (env.get("ASTERLINE_LOG_LEVEL") == null) {
      quiet(before, org.slf4j.Logger.ROOT_LOGGER_NAME, Level.WARN);
      quiet(before, "org.asteriskjava", Level.ERROR);
    }
    try {
      boolean passed = new Doctor(parsed, Json.mapper(), duration("--timeout", timeout), duration("--ping-wait", pingWait))
          .run(f -> {
            out.println(f.line());
            out.flush();
          });
      return passed ? 0 : 1;
    } finally {
      before.forEach(Logger::setLevel);
    }
  }

  private static void quiet(Map<Logger, Level> before, String name, Level level) {
    Logger logger = (Logger) LoggerFactory.getLogger(name);
    before.put(logger, logger.getLevel());
    logger.setLevel(level);
  }

  private Duration duration(String option, String value) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,6})(ms|s)").matcher(value.trim());
    if (!m.matches()) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), option + ": a duration such as 10s or "
          + "500ms, not '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return m.group(2).equals("ms") ? Duration.ofMillis(n) : Duration.ofSeconds(n);
  }
}
