package io.asterline.agi;

import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.call.RealtimeUsage;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.Ended;
import io.asterline.call.CallRepository.NewCall;
import io.asterline.call.Decision;
import io.asterline.degraded.HeldWrite;
import io.asterline.degraded.Journal;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.SQLStateClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What a call could not write while the database was unreachable (its row from inbound, its agent leg's connection
 * and outcome, the caller's voicemail, its end), kept in order in the node's {@link Journal} on disk and written when the database is
 * back, also after a restart of the node. A call's later writes wait behind its earlier ones ({@link #holds}), so
 * its end never reaches the database before its row.
 */
final class PendingWrites {

  private static final Logger log = LoggerFactory.getLogger(PendingWrites.class);

  private final Journal journal;
  private final CallRepository calls;
  private final CallEvents events;

  PendingWrites(Journal journal, CallRepository calls, CallEvents events) {
    this.journal = journal;
    this.calls = calls;
    this.events = events;
  }

  /** Keeps a DEGRADED call's row; false when the journal could not (full, or the disk failed). */
  boolean admitted(NewCall call) {
    return journal.hold(new HeldWrite.CallAdmitted(call.id(), call.tenantId(), call.didId(), call.remoteNumber(),
        call.uniqueId(), call.channel(), call.createdAt()));
  }

  /** True when a write of the call is still waiting here: its end must wait behind it. */
  boolean holds(UUID callId) {
    return journal.holds(callId);
  }

  boolean ended(EndAsk end) {
    return journal.hold(new HeldWrite.CallEnded(end.callId(), end.outcome(), end.hangupCause(), end.recordingFile(),
        end.at(), end.agentLeg()));
  }

  boolean voicemailLeft(UUID callId, String file, Integer durationMs, OffsetDateTime at) {
    return journal.hold(new HeldWrite.VoicemailLeft(callId, file, durationMs, at));
  }

  boolean consentAnnounced(UUID callId, OffsetDateTime at) {
    return journal.hold(new HeldWrite.ConsentAnnounced(callId, at));
  }

  int size() {
    return journal.size();
  }

  /**
   * Writes what is held, oldest first, until done or the database fails again; each record leaves the journal only
   * once its write is committed. Returns how many were written. Called from one thread only (the AGI maintenance
   * timer, or the stop).
   */
  int flush() {
    int written = 0;
    for (Optional<Journal.Held> next = journal.oldest(); next.isPresent(); next = journal.oldest()) {
      Journal.Held held = next.get();
      HeldWrite write = held.write();
      MDC.put("callId", write.callId().toString());
      try {
        apply(write);
        journal.committed(held);
        written++;
      } catch (DataAccessException e) {
        if (e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION
            || e.sqlStateClass() == SQLStateClass.C22_DATA_EXCEPTION) {
          // the write can never succeed (its tenant was deleted meanwhile, a value the column refuses): holding it
          // would block every write behind it, and the journal would fill until calls could no longer be kept
          log.error("pending writes: dropped a {} write the database refuses: {}", write.getClass().getSimpleName(),
              e.getMessage());
          journal.committed(held);
          continue;
        }
        log.info("pending writes: database still unavailable ({}), {} waiting", e.getMessage(), size());
        return written;
      } finally {
        MDC.remove("callId");
      }
    }
    if (written > 0) {
      log.info("pending writes: wrote {} held during the database outage", written);
    }
    return written;
  }

  /** One held write, each idempotent: a replay after a crash in the middle of a flush changes nothing. */
  private void apply(HeldWrite write) {
    if (write instanceof HeldWrite.CallAdmitted a) {
      calls.created(new NewCall(a.callId(), a.tenantId(), "inbound", a.didId(), a.remoteNumber(),
          a.uniqueId(), a.channel(), a.createdAt()));
    } else if (write instanceof HeldWrite.AgentConnected c) {
      calls.recordAgentConnected(c.callId(), c.at());
    } else if (write instanceof HeldWrite.AgentOutcome o) {
      calls.recordAgentOutcome(o.callId(), new CallRepository.AgentOutcome(
          o.decision() == null ? null : Decision.ofDbValue(o.decision()), o.transferTo(), o.endReason(),
          o.firstAudioAt(), o.bargeInCount(), o.bargeInMaxStopMs(), o.voicemailResult(), o.conversationJson(),
          o.tokens() == null ? null : new RealtimeUsage(o.tokens().textIn(), o.tokens().audioIn(),
              o.tokens().cachedTextIn(), o.tokens().cachedAudioIn(), o.tokens().textOut(), o.tokens().audioOut())));
    } else if (write instanceof HeldWrite.ConsentAnnounced c) {
      calls.consentAnnounced(c.callId(), c.at());
    } else if (write instanceof HeldWrite.VoicemailLeft v) {
      // the first report wins, and the job is queued once per call and kind: a replay changes nothing
      calls.voicemailLeft(v.callId(), v.file(), v.durationMs(), v.at())
          .ifPresent(stored -> events.voicemailLeft(v.callId(), stored.tenantId(), stored.file()));
    } else if (write instanceof HeldWrite.CallEnded e) {
      // the first end only: a replayed end finds the call ended and tells nobody twice
      calls.ended(new EndAsk(e.callId(), e.outcome(), e.hangupCause(), e.recordingFile(), e.at(),
          e.agentLeg())).ifPresent(ended -> notifyEnded(events, e.callId(), ended));
    }
  }

  static void notifyEnded(CallEvents events, UUID callId, Ended ended) {
    try {
      events.ended(callId, ended.tenantId(), ended.recordingFile());
    } catch (RuntimeException e) {
      // CallEvents must not throw; if one does, the call is still ended and its row correct
      log.error("call-end listener failed", e);
    }
  }
}
