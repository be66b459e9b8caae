package io.asterline.agi;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
 * passed in (no thread-local channel as in asterisk-java's BaseAgiScript). Every script Asterline serves, of
 * every feature, extends it: a status is an {@link AgiStatus}, a variable name an {@link AgiVariables} constant.
 * A script that sets the call id in the MDC ({@code callId}) has it removed after its answer.
 */
public abstract class AsterlineAgiScript implements AgiScript {

  private static final Logger log = LoggerFactory.getLogger(AsterlineAgiScript.class);

  private final String name;
  private final MeterRegistry metrics;
  /** One per status, plus HANGUP last; a racing first registration is harmless (the registry dedupes). */
  private final Timer[] timers = new Timer[AgiStatus.values().length + 1];

  protected AsterlineAgiScript(String name, MeterRegistry metrics) {
    this.name = name;
    this.metrics = metrics;
  }

  /** The URL path Asterisk asks for: agi://host/{name}. */
  public final String name() {
    return name;
  }

  /** Reads the inputs and does the work; returns what to tell the dialplan. */
  protected abstract ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException;

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
      answer(channel, result);
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
      timer(result == null ? null : result.status()).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
      MDC.remove("callId");
    }
  }

  /**
   * Sets the result's variables, ASTERLINE_STATUS last, in as few AGI round trips as Asterisk allows: one
   * {@code EXEC MSet} for all of them (MSet sets its pairs left to right, so the status is still last), which
   * matters because every round trip holds the caller in silence and costs both ends a context switch. MSet
   * strips quotes and splits on commas, so a value with anything outside {@link #msetSafe} (an operator's
   * odd trunk name, a recordings path with spaces) goes first by its own {@code SET VARIABLE}, which takes any
   * text. An Asterisk without MSet (EXEC answers -2) gets them all one by one. On our server's channel the MSet
   * also carries asterisk-java's AJ_AGISTATUS, which the library would otherwise set in a round trip of its own.
   */
  static void answer(AgiChannel channel, ScriptResult result) throws AgiException {
    Map<String, String> variables = result.variables();
    String status = result.status().name();
    AsterlineAgiChannel ours = channel instanceof AsterlineAgiChannel c ? c : null;
    if (variables.isEmpty() && ours == null) {
      channel.setVariable(AgiVariables.STATUS, status);
      return;
    }
    StringBuilder pairs = new StringBuilder(256);
    for (Map.Entry<String, String> v : variables.entrySet()) {
      if (msetSafe(v.getValue())) {
        pairs.append(v.getKey()).append('=').append(v.getValue()).append(',');
      } else {
        channel.setVariable(v.getKey(), v.getValue());
      }
    }
    if (ours != null) {
      // what the library would set after the script, in the same round trip (see AsterlineAgiChannel)
      pairs.append(AsterlineAgiChannel.LIBRARY_STATUS).append('=').append(AsterlineAgiChannel.LIBRARY_SUCCESS)
          .append(',');
    }
    pairs.append(AgiVariables.STATUS).append('=').append(status);
    int answer = channel.exec("MSet", pairs.toString());
    if (answer != NO_SUCH_APPLICATION && ours != null) {
      ours.libraryStatusSet(AsterlineAgiChannel.LIBRARY_SUCCESS);
    }
    if (answer == NO_SUCH_APPLICATION) {
      if (!msetMissingLogged) {
        msetMissingLogged = true;
        log.warn("agi: this Asterisk has no MSet application; setting variables one per round trip");
      }
      for (Map.Entry<String, String> v : variables.entrySet()) {
        if (msetSafe(v.getValue())) {
          channel.setVariable(v.getKey(), v.getValue());
        }
      }
      channel.setVariable(AgiVariables.STATUS, status);
    }
  }

  /**
   * Values MSet passes through untouched: letters, digits and {@code +_.:/@-} only; no separator (comma,
   * vertical bar), quote, backslash, bracket, parenthesis or '$' that Asterisk's argument parser or variable
   * substitution would act on, and no space.
   */
  static boolean msetSafe(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '+' || c == '_' || c == '.' || c == ':' || c == '/' || c == '@' || c == '-';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** What res_agi answers to EXEC of an application this Asterisk does not have. */
  private static final int NO_SUCH_APPLICATION = -2;

  private static volatile boolean msetMissingLogged;

  /** asterline.agi.request for this script and a status (null: the caller hung up), registered once. */
  private Timer timer(AgiStatus status) {
    int i = status == null ? timers.length - 1 : status.ordinal();
    Timer t = timers[i];
    if (t == null) {
      t = Timer.builder("asterline.agi.request")
          .description("time from the AGI request to its last output")
          .tag("script", name)
          .tag("status", status == null ? "HANGUP" : status.name())
          .register(metrics);
      timers[i] = t;
    }
    return t;
  }

  /** The n-th AGI() argument after the URL (1-based), or null when missing or blank. */
  protected static String argument(AgiRequest request, int n) {
    String[] args = request.getArguments();
    if (args == null || args.length < n || args[n - 1] == null || args[n - 1].isBlank()) {
      return null;
    }
    return args[n - 1].trim();
  }

  /** An input passed as the n-th argument, else read from the channel variable; null when neither has it. */
  protected static String input(AgiRequest request, AgiChannel channel, int n, String variable)
      throws AgiException {
    String arg = argument(request, n);
    if (arg != null) {
      return arg;
    }
    String value = channel.getVariable(variable);
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** A call id as Asterline writes it (the canonical 36 characters), else empty. */
  protected static Optional<UUID> uuid(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      UUID id = UUID.fromString(text);
      // UUID.fromString accepts short forms such as 1-1-1-1-1; only the canonical 36 characters are ours
      return id.toString().equalsIgnoreCase(text) ? Optional.of(id) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
