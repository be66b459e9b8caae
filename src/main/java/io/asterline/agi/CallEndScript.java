package io.asterline.agi;

import io.asterline.call.CallEvents;
import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.Ended;
import io.asterline.degraded.LocalCalls;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.EnumSet;
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
 * {@code agi://host/call-end,<call id>,<DIALSTATUS>,<HANGUPCAUSE>,<MIXMONITOR_FILENAME>,<ASTERLINE_AUDIOSOCKET>},
 * run from the hangup handler: the call has ended. Stores the end, releases the admission slot and tells
 * {@link CallEvents}, the first time only; running it again, or for a call that does not exist, changes nothing.
 * The ends arriving at the same moment are written together, in one statement ({@code call_end_batch}), which
 * also decides the outcome stored (agent_unavailable when the call was sent to the agent and a Dial ran but the
 * agent's leg never reached Asterline; see V9__call_outcomes.sql).
 */
public final class CallEndScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(CallEndScript.class);

  private final DbBatch<EndAsk, Optional<Ended>> ends;
  private final PendingWrites pending;
  private final LocalCalls localCalls;
  private final CallEvents events;
  private final MeterRegistry meters;
  /** asterline_calls_ended_total by "direction/outcome": looked up once, not built and registered per call. */
  private final ConcurrentHashMap<String, Counter> endedCounters = new ConcurrentHashMap<>();

  /**
   * The outcomes a call ends with: DIALSTATUS values Asterisk sets, and Asterline's own (the agent's leg failed,
   * the caller left before the agent was dialled, an outbound call's answer or answering machine). Anything else
   * is counted as "other" so the series stay few.
   */
  private static final Set<CallOutcome> OUTCOMES = EnumSet.of(CallOutcome.ANSWER, CallOutcome.BUSY_DIAL,
      CallOutcome.NOANSWER, CallOutcome.CANCEL, CallOutcome.CONGESTION_DIAL, CallOutcome.CHANUNAVAIL,
      CallOutcome.DONTCALL, CallOutcome.TORTURE, CallOutcome.INVALIDARGS, CallOutcome.ABANDONED,
      CallOutcome.AGENT_UNAVAILABLE, CallOutcome.ANSWERED, CallOutcome.MACHINE_HANGUP, CallOutcome.VOICEMAIL);

  CallEndScript(DbBatch<EndAsk, Optional<Ended>> ends, PendingWrites pending,
      LocalCalls localCalls, CallEvents events, MeterRegistry metrics) {
    super("call-end", metrics);
    this.ends = ends;
    this.pending = pending;
    this.localCalls = localCalls;
    this.events = events;
    this.meters = metrics;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> callId = uuid(input(request, channel, 1, AgiVariables.CALL_ID));
    if (callId.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    MDC.put("callId", callId.get().toString());
    String outcome = input(request, channel, 2, AgiVariables.DIALSTATUS);
    String cause = input(request, channel, 3, AgiVariables.HANGUPCAUSE);
    String recording = input(request, channel, 4, AgiVariables.MIXMONITOR_FILENAME);
    // an argument only, never read from the channel: empty is an answer (not sent to the agent), and a dialplan
    // that does not pass it would pay a round trip for nothing
    boolean agentLeg = argument(request, 5) != null;
    // Dial's ANSWEREDTIME, an argument only as the fifth: it dates the answer of a forwarded call (V14)
    Integer answeredSeconds = seconds(argument(request, 6));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    UUID id = callId.get();
    EndAsk end = new EndAsk(id, outcome, cause, recording, now, agentLeg, answeredSeconds);
    // the call is over: what this node kept in memory for its agent leg and after-agent is no longer asked for
    localCalls.ended(id);
    if (pending.holds(id)) {
      // the call's row is itself still waiting for the database: its end waits behind it
      pending.ended(end);
      return ScriptResult.of(AgiStatus.DEGRADED);
    }
    try {
      Optional<Ended> ended = ends.call(end);
      if (ended.isEmpty()) {
        log.debug("call-end: unknown or already ended");
        return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
      }
      PendingWrites.notifyEnded(events, id, ended.get());
      // what the row says, which is not always the DIALSTATUS given (an answering machine, a failed agent leg)
      String stored = ended.get().outcome();
      endedCounter(ended.get().direction(), stored == null ? "none"
          : CallOutcome.find(stored).filter(OUTCOMES::contains).isPresent() ? stored : "other")
          .increment();
      log.info("call ended: outcome {} (DIALSTATUS {}), cause {}, recording {}", stored, outcome, cause, recording);
      return ScriptResult.of(AgiStatus.OK);
    } catch (DbDeadline.Unavailable e) {
      log.warn("call-end: database unavailable ({}); the end is kept and written when it is back", e.getMessage());
      // refused only when the journal is full or the disk fails (logged there): the end is lost
      return ScriptResult.of(pending.ended(end) ? AgiStatus.DEGRADED : AgiStatus.ERROR);
    }
  }

  private Counter endedCounter(String direction, String outcome) {
    return endedCounters.computeIfAbsent(direction + '/' + outcome,
        k -> meters.counter("asterline.calls.ended", "direction", direction, "outcome", outcome));
  }

  /** Whole seconds as Asterisk writes them, else null (absent, or not a number: the answer stays undated). */
  private static Integer seconds(String text) {
    if (text == null || text.isEmpty() || text.length() > 9 || !text.chars().allMatch(Character::isDigit)) {
      return null;
    }
    return Integer.valueOf(text);
  }
}
