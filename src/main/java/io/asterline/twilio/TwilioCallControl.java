package io.asterline.twilio;

import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.Decision;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Twilio's after-agent and call-end for calls whose agent leg is a Media Stream: the stored decision becomes TwiML
 * Twilio runs next (REST update, or the {@code <Connect action>} when that failed), and the stream's end, a
 * Dial's or a Record's action become the call's end through {@link TwilioCallEnds}, with the outcome call-end would
 * store for the same call on Asterisk.
 *
 * <p>What a call goes on to and its stream's recording are kept in memory on the node that held the stream, until
 * the call's end carries the recording: a Dial answered on another node ends without it (the file is on this one).
 */
public final class TwilioCallControl implements StreamControl {

  private static final Logger log = LoggerFactory.getLogger(TwilioCallControl.class);
  /** How long an end that found the database down is retried before the slot is left to admission_reclaim. */
  private static final Duration END_RETRY_FOR = Duration.ofMinutes(10);
  private static final Duration END_RETRY_EVERY = Duration.ofSeconds(5);
  /** Longer than any call (admission.max-call-duration's default is 4 h). */
  private static final Duration FORGET_AFTER = Duration.ofHours(6);
  /** How long a recording finished after its call's end waits for that end to reach the database. */
  private static final Duration LATE_RECORDING_WAIT = Duration.ofSeconds(30);
  private static final Duration LATE_RECORDING_RETRY = Duration.ofMillis(200);

  /** What the call was sent to after its agent leg: decides who reports its end. */
  enum Next {
    /** a Dial: dial-done ends it */
    DIAL,
    /** a Record: voicemail-done ends it */
    VOICEMAIL,
    /** it ends with the TwiML (hang up, or the failure announcement): the stream's end ends it */
    END
  }

  /** The TwiML for the call after its agent, and what it leads to. */
  record Step(String twiml, Next next) {}

  private final TwilioInboundRepository repository;
  private final TwilioDb db;
  private final TwilioRest rest;
  private final TwilioCallEnds ends;
  private final TwilioAnswers answers;
  private final Map<UUID, Next> nextOf = new ConcurrentHashMap<>();
  private final Map<UUID, Path> recordings = new ConcurrentHashMap<>();
  /** When each call's entries above were made: a call whose end was reported to another node is forgotten later. */
  private final Map<UUID, Instant> kept = new ConcurrentHashMap<>();
  /** Calls whose end after the agent was taken (by a Dial's, Record's or Connect's action), until forgotten. */
  private final Map<UUID, Instant> endsTaken = new ConcurrentHashMap<>();
  private final ScheduledExecutorService control;

  TwilioCallControl(TwilioInboundRepository repository, TwilioDb db, TwilioRest rest, TwilioCallEnds ends,
      TwilioAnswers answers) {
    this.repository = repository;
    this.db = db;
    this.rest = rest;
    this.ends = ends;
    this.answers = answers;
    AtomicInteger n = new AtomicInteger();
    this.control = Executors.newScheduledThreadPool(4, r -> {
      Thread t = new Thread(r, "twilio-control-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    control.scheduleWithFixedDelay(() -> forgetOlderThan(Instant.now().minus(FORGET_AFTER)), 10, 10,
        TimeUnit.MINUTES);
    // a stream's recording is written within seconds of its end: a minute later no late one is coming
    control.scheduleWithFixedDelay(() -> endsTaken.values().removeIf(t -> t.isBefore(Instant.now()
        .minus(LATE_RECORDING_WAIT.multipliedBy(2)))), 1, 1, TimeUnit.MINUTES);
  }

  @Override
  public CompletableFuture<Void> agentDone(UUID callId, String callSid) {
    CompletableFuture<Step> step = CompletableFuture.supplyAsync(() -> withCall(callId, () -> afterAgent(callId)),
        control);
    return step.thenCompose(s -> {
      log.info("twilio call {}: agent done, sending {} to Twilio", callId, s.next());
      return rest.updateCall(callSid, TwilioForm.create().add("Twiml", s.twiml()));
    }).whenComplete((resource, failure) -> {
      if (failure != null) {
        log.warn("twilio call {}: the update after the agent failed ({}); Twilio asks the Connect action instead",
            callId, failure.getCause() == null ? failure.getMessage() : failure.getCause().getMessage());
      }
    }).thenApply(resource -> null);
  }

  /**
   * What the call goes on to after its agent, as after-agent answers: the stored decision, else the tenant's
   * fallback (transfer to its number, else hang up); the failure announcement when the database cannot say.
   * Remembered, so the stream's end knows whether it is the call's end. Blocking (the database, with a deadline).
   */
  Step afterAgent(UUID callId) {
    Step step;
    try {
      step = db.call(() -> repository.decision(callId)).map(d -> route(callId, d))
          .orElseGet(() -> {
            log.warn("twilio call {}: no such call after its agent; hanging up", callId);
            return new Step(answers.hangup(), Next.END);
          });
    } catch (TwilioDb.Unavailable e) {
      log.warn("twilio call {}: database unavailable after the agent ({}); the failure announcement", callId,
          e.getMessage());
      step = new Step(answers.failure(), Next.END);
    }
    nextOf.put(callId, step.next());
    kept.put(callId, Instant.now());
    return step;
  }

  private Step route(UUID callId, TwilioInboundRepository.AgentDecision d) {
    if (d.agentDecision() == Decision.VOICEMAIL) {
      return new Step(answers.voicemail(callId, true), Next.VOICEMAIL);
    }
    if (d.agentDecision() == Decision.HANGUP) {
      return new Step(answers.hangup(), Next.END);
    }
    if (d.agentDecision() == Decision.TRANSFER && d.transferTo() != null) {
      return new Step(answers.dial(callId, d.transferTo(), true), Next.DIAL);
    }
    log.info("twilio call {}: agent decision {}; tenant fallback {}", callId,
        d.agentDecision() == null ? "none stored" : d.agentDecision().dbValue() + " without a number",
        d.tenantTransferNumber() == null ? "hangup" : "transfer to the tenant's number");
    if (d.tenantTransferNumber() != null) {
      return new Step(answers.dial(callId, d.tenantTransferNumber(), true), Next.DIAL);
    }
    return new Step(answers.hangup(), Next.END);
  }

  @Override
  public void streamEnded(UUID callId, String callSid, boolean afterAgentDone, Path recording) {
    try {
      if (!afterAgentDone) {
        // the caller hung up during the conversation: call-end of an agent call, whose AudioSocket Dial answered
        forget(callId);
        endLater(new EndAsk(callId, CallOutcome.ANSWER.dbValue(), null, text(recording), now(), true));
        return;
      }
      if (recording != null) {
        recordings.put(callId, recording);
        kept.put(callId, Instant.now());
        // the call's end (a Dial's or a Record's action) may have come before the stream's recording was written:
        // whichever removes the file from the map first carries it, the end or this
        if (endsTaken.containsKey(callId) && recordings.remove(callId, recording)) {
          attachLate(callId, recording, System.nanoTime() + LATE_RECORDING_WAIT.toNanos());
        }
      }
      if (nextOf.get(callId) == Next.END) {
        // hung up by the agent's decision or the failure announcement: nothing else will report this end
        endLater(endAfterAgent(callId, CallOutcome.ANSWER.dbValue(), null));
      }
    } catch (RuntimeException e) {
      log.error("twilio call {}: could not handle the end of its stream", callId, e);
    }
  }

  /**
   * A recording written after its call's end was taken without it: stored on the ended row once that end is in
   * the database (it is being written on another thread), retried until {@code until}.
   */
  private void attachLate(UUID callId, Path recording, long until) {
    control.schedule(() -> withCall(callId, () -> {
      boolean stored = false;
      try {
        stored = db.call(() -> ends.recordingAfterEnd(callId, recording.toString()));
      } catch (TwilioDb.Unavailable e) {
        log.debug("twilio call {}: database unavailable for its late recording ({})", callId, e.getMessage());
      }
      if (stored) {
        forget(callId);
      } else if (System.nanoTime() < until) {
        attachLate(callId, recording, until);
      } else {
        log.warn("twilio call {}: its stream's recording could not be stored on the call; the file stays at {}",
            callId, recording);
        forget(callId);
      }
      return null;
    }), LATE_RECORDING_RETRY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The end of a call that had its agent leg, with the recording of its stream when this node holds it. */
  EndAsk endAfterAgent(UUID callId, String outcome, Integer answeredSeconds) {
    // taken before the file is looked at: a recording that arrives after this is attached to the ended row
    endsTaken.put(callId, Instant.now());
    Path recording = recordings.remove(callId);
    nextOf.remove(callId);
    kept.remove(callId);
    return new EndAsk(callId, outcome, null, text(recording), now(), true, answeredSeconds);
  }

  private void forget(UUID callId) {
    nextOf.remove(callId);
    recordings.remove(callId);
    kept.remove(callId);
    endsTaken.remove(callId);
  }

  /** Forgets the calls kept since before {@code before} (their end reached another node); how many. */
  int forgetOlderThan(Instant before) {
    int n = 0;
    for (Map.Entry<UUID, Instant> e : kept.entrySet()) {
      if (e.getValue().isBefore(before)) {
        forget(e.getKey());
        n++;
      }
    }
    return n;
  }

  /** Calls whose next step or recording this node keeps. */
  int kept() {
    return kept.size();
  }

  /**
   * Ends the call now, waiting at most the database deadline; when the database is down the end is retried in the
   * background for {@link #END_RETRY_FOR} (then the slot is admission_reclaim's).
   */
  void end(EndAsk ask) {
    try {
      db.call(() -> ends.end(ask));
    } catch (TwilioDb.Unavailable e) {
      log.warn("twilio call {}: database unavailable for its end ({}); retrying in the background", ask.callId(),
          e.getMessage());
      retry(ask, System.nanoTime() + END_RETRY_FOR.toNanos());
    }
  }

  /** {@link #end} without waiting: from an event loop. */
  void endLater(EndAsk ask) {
    control.execute(() -> withCall(ask.callId(), () -> {
      end(ask);
      return null;
    }));
  }

  private void retry(EndAsk ask, long until) {
    control.schedule(() -> withCall(ask.callId(), () -> {
      try {
        db.call(() -> ends.end(ask));
      } catch (TwilioDb.Unavailable e) {
        if (System.nanoTime() < until) {
          retry(ask, until);
        } else {
          log.error("twilio call {}: its end could not be stored ({}); admission_reclaim frees its slot",
              ask.callId(), e.getMessage());
        }
      }
      return null;
    }), END_RETRY_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Work after a webhook answered (a voicemail's download), on this part's threads, with the call id logged. */
  void background(UUID callId, Runnable work) {
    control.execute(() -> withCall(callId, () -> {
      try {
        work.run();
      } catch (RuntimeException e) {
        log.error("twilio call {}: background work failed", callId, e);
      }
      return null;
    }));
  }

  /** Runs {@code work} again after {@code delay}, on this part's threads. */
  void after(Duration delay, UUID callId, Runnable work) {
    control.schedule(() -> background(callId, work), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static <T> T withCall(UUID callId, java.util.function.Supplier<T> work) {
    MDC.put("callId", callId.toString());
    try {
      return work.get();
    } finally {
      MDC.remove("callId");
    }
  }

  private static String text(Path p) {
    return p == null ? null : p.toString();
  }

  private static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC);
  }

  void close() {
    control.shutdownNow();
  }
}
