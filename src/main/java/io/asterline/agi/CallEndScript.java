package io.asterline.agi;

import io.asterline.call.CallEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://host/call-end,<call id>,<DIALSTATUS>,<HANGUPCAUSE>,<MIXMONITOR_FILENAME>}, run from the hangup
 * handler: the call has ended. Stores the end, releases the admission slot and tells {@link CallEvents}, the
 * first time only; running it again, or for a call that does not exist, changes nothing. The ends arriving at
 * the same moment are written together, in one statement ({@code call_end_batch}).
 */
public final class CallEndScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(CallEndScript.class);

  private final DbBatch<AgiRepository.EndAsk, Optional<AgiRepository.Ended>> ends;
  private final PendingWrites pending;
  private final CallEvents events;
  private final MeterRegistry meters;
  /** asterline_calls_ended_total by "direction/outcome": looked up once, not built and registered per call. */
  private final ConcurrentHashMap<String, Counter> endedCounters = new ConcurrentHashMap<>();

  /** DIALSTATUS values Asterisk sets; anything else is counted as "other" so the series stay few. */
  private static final Set<String> OUTCOMES = Set.of("ANSWER", "BUSY", "NOANSWER", "CANCEL", "CONGESTION",
      "CHANUNAVAIL", "DONTCALL", "TORTURE", "INVALIDARGS");

  CallEndScript(DbBatch<AgiRepository.EndAsk, Optional<AgiRepository.Ended>> ends, PendingWrites pending,
      CallEvents events, MeterRegistry metrics) {
    super("call-end", metrics);
    this.ends = ends;
    this.pending = pending;
    this.events = events;
    this.meters = metrics;
  }

  @Override
  ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> callId = uuid(input(request, channel, 1, AgiVariables.CALL_ID));
    if (callId.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    MDC.put("callId", callId.get().toString());
    String outcome = input(request, channel, 2, AgiVariables.DIALSTATUS);
    String cause = input(request, channel, 3, AgiVariables.HANGUPCAUSE);
    String recording = input(request, channel, 4, AgiVariables.MIXMONITOR_FILENAME);
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    UUID id = callId.get();
    if (pending.holds(id)) {
      // the call's row is itself still waiting for the database: its end waits behind it
      pending.ended(id, outcome, cause, recording, now);
      return ScriptResult.of(AgiStatus.DEGRADED);
    }
    try {
      Optional<AgiRepository.Ended> ended = ends.call(new AgiRepository.EndAsk(id, outcome, cause, recording, now));
      if (ended.isEmpty()) {
        log.debug("call-end: unknown or already ended");
        return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
      }
      PendingWrites.notifyEnded(events, id, ended.get());
      endedCounter(ended.get().direction(), outcome == null ? "none" : OUTCOMES.contains(outcome) ? outcome : "other")
          .increment();
      log.info("call ended: outcome {}, cause {}, recording {}", outcome, cause, recording);
      return ScriptResult.of(AgiStatus.OK);
    } catch (DbDeadline.Unavailable e) {
      log.warn("call-end: database unavailable ({}); the end is kept and written when it is back", e.getMessage());
      pending.ended(id, outcome, cause, recording, now);
      return ScriptResult.of(AgiStatus.DEGRADED);
    }
  }

  private Counter endedCounter(String direction, String outcome) {
    return endedCounters.computeIfAbsent(direction + '/' + outcome,
        k -> meters.counter("asterline.calls.ended", "direction", direction, "outcome", outcome));
  }

  static Optional<UUID> uuid(String text) {
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
