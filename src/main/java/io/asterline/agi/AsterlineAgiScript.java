package io.asterline.agi;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What every Asterline script does around its own decision: decide first (reading inputs, doing the
 * database work), then set the output variables and ASTERLINE_STATUS last, so the dialplan never sees a
 * status without the variables that go with it. A crash becomes status ERROR; the time taken is recorded
 * as {@code asterline_agi_request} tagged with the script and the status. The channel is always the one
 * passed in (no thread-local channel as in asterisk-java's BaseAgiScript).
 */
abstract class AsterlineAgiScript implements AgiScript {

  private static final Logger log = LoggerFactory.getLogger(AsterlineAgiScript.class);

  private final String name;
  private final MeterRegistry metrics;

  AsterlineAgiScript(String name, MeterRegistry metrics) {
    this.name = name;
    this.metrics = metrics;
  }

  /** The URL path Asterisk asks for: agi://host/{name}. */
  final String name() {
    return name;
  }

  /** Reads the inputs and does the work; returns what to tell the dialplan. */
  abstract ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException;

  @Override
  public final void service(AgiRequest request, AgiChannel channel) {
    long start = System.nanoTime();
    ScriptResult result = null;
    try {
      try {
        result = decide(request, channel);
      } catch (RuntimeException e) {
        log.error("{}: failed, answering {}", name, AgiStatus.ERROR, e);
        result = ScriptResult.of(AgiStatus.ERROR);
      }
      for (Map.Entry<String, String> v : result.variables().entrySet()) {
        channel.setVariable(v.getKey(), v.getValue());
      }
      channel.setVariable(AgiVariables.STATUS, result.status().name());
      log.debug("{}: {}", name, result);
    } catch (AgiException e) {
      log.info("{}: Asterisk left before the answer was complete ({}): {}", name,
          result == null ? "inputs not read" : result, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
      if (result != null) {
        // the dialplan will never act on this answer: undo what it reserved
        try {
          result.abandoned();
        } catch (RuntimeException undo) {
          log.error("{}: could not undo an abandoned answer", name, undo);
        }
      }
    } finally {
      String status = result == null ? "HANGUP" : result.status().name();
      Timer.builder("asterline.agi.request")
          .description("time from the AGI request to its last output")
          .tag("script", name)
          .tag("status", status)
          .register(metrics)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      MDC.remove("callId");
    }
  }

  /** The n-th AGI() argument after the URL (1-based), or null when missing or blank. */
  static String argument(AgiRequest request, int n) {
    String[] args = request.getArguments();
    if (args == null || args.length < n || args[n - 1] == null || args[n - 1].isBlank()) {
      return null;
    }
    return args[n - 1].trim();
  }

  /** An input passed as the n-th argument, else read from the channel variable; null when neither has it. */
  static String input(AgiRequest request, AgiChannel channel, int n, String variable) throws AgiException {
    String arg = argument(request, n);
    if (arg != null) {
      return arg;
    }
    String value = channel.getVariable(variable);
    return value == null || value.isBlank() ? null : value.trim();
  }
}
