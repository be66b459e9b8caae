package io.asterline.twilio;

import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.Ended;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a Twilio-carried call ends, whoever learns of it first (a status callback, the stream's stop, a
 * Dial's action, the agent's hangup): the same {@code call_end_batch} as Asterisk's call-end (the slot is released,
 * the outcome judged, the first end wins and later ones change nothing), then the same listeners (the recording
 * pipeline enqueues its job). Blocking: call it from a database executor, never an event loop.
 */
public final class TwilioCallEnds {

  private static final Logger log = LoggerFactory.getLogger(TwilioCallEnds.class);

  private final CallRepository calls;
  private final CallEvents events;

  public TwilioCallEnds(CallRepository calls, CallEvents events) {
    this.calls = calls;
    this.events = events;
  }

  /** Ends the call; empty when it had already ended (or is unknown): nothing changed then. */
  public Optional<Ended> end(EndAsk ask) {
    Optional<Ended> ended = calls.ended(ask);
    ended.ifPresent(e -> {
      log.info("twilio call ended: outcome {}, cause {}", e.outcome(), ask.hangupCause());
      try {
        events.ended(ask.callId(), e.tenantId(), e.recordingFile());
      } catch (RuntimeException ex) {
        log.error("call-end listener failed", ex);
      }
    });
    return ended;
  }

  /**
   * The stream's recording of a call whose end came first: stored on the ended call and handed to the same
   * listeners (the recording job is enqueued once per call). False when the call has not ended yet (its end will
   * carry the file) or already has a recording.
   */
  public boolean recordingAfterEnd(UUID callId, String recordingFile) {
    Optional<Long> tenant = calls.recordingAfterEnd(callId, recordingFile);
    tenant.ifPresent(t -> {
      log.info("twilio call {}: its stream's recording reached the call after its end", callId);
      try {
        events.ended(callId, t, recordingFile);
      } catch (RuntimeException ex) {
        log.error("call-end listener failed", ex);
      }
    });
    return tenant.isPresent();
  }
}
