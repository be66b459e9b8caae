package io.asterline.agi;

import io.asterline.agi.AgiRepository.NewCall;
import io.asterline.call.CallEvents;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.SQLStateClass;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * What inbound and call-end could not write while the database was unreachable, kept in order and written
 * when it is back. Only this node's memory holds it: a restart during an outage loses it (the calls went
 * through all the same; only their rows are missing), which is the price of answering without a database.
 */
final class PendingWrites {

  private static final Logger log = LoggerFactory.getLogger(PendingWrites.class);

  private sealed interface Write permits Admitted, End {
    UUID callId();
  }

  private record Admitted(NewCall call) implements Write {
    @Override
    public UUID callId() {
      return call.id();
    }
  }

  private record End(AgiRepository.EndAsk ask) implements Write {
    @Override
    public UUID callId() {
      return ask.callId();
    }
  }

  private final int capacity;
  private final Deque<Write> queue = new ArrayDeque<>();
  private final Set<UUID> pendingCalls = new HashSet<>();

  PendingWrites(int capacity) {
    this.capacity = capacity;
  }

  synchronized void admitted(NewCall call) {
    add(new Admitted(call));
    pendingCalls.add(call.id());
  }

  /** True when the call's row is still waiting here: its end must wait behind it. */
  synchronized boolean holds(UUID callId) {
    return pendingCalls.contains(callId);
  }

  synchronized void ended(UUID callId, String outcome, String hangupCause, String recordingFile, OffsetDateTime at) {
    ended(new AgiRepository.EndAsk(callId, outcome, hangupCause, recordingFile, at));
  }

  synchronized void ended(AgiRepository.EndAsk end) {
    add(new End(end));
  }

  synchronized int size() {
    return queue.size();
  }

  private void add(Write write) {
    if (queue.size() >= capacity) {
      Write dropped = queue.pollFirst();
      if (dropped instanceof Admitted a) {
        pendingCalls.remove(a.callId());
      }
      log.warn("pending writes full ({}): dropped the oldest, for call {}", capacity, dropped.callId());
    }
    queue.addLast(write);
  }

  private synchronized Write peek() {
    return queue.peekFirst();
  }

  private synchronized void done(Write write) {
    if (queue.peekFirst() == write) {
      queue.pollFirst();
    }
    if (write instanceof Admitted a) {
      pendingCalls.remove(a.callId());
    }
  }

  /**
   * Writes what is pending, oldest first, until done or the database fails again. Returns how many were
   * written. Called from one thread only (the AGI maintenance timer).
   */
  int flush(AgiRepository repository, CallEvents events) {
    int written = 0;
    for (Write write = peek(); write != null; write = peek()) {
      MDC.put("callId", write.callId().toString());
      try {
        if (write instanceof Admitted a) {
          repository.insertAdmittedWhileDegraded(a.call());
        } else if (write instanceof End e) {
          repository.endCall(e.ask())
              .ifPresent(ended -> notifyEnded(events, e.callId(), ended));
        }
        done(write);
        written++;
      } catch (DataAccessException e) {
        if (e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION) {
          // the row can never be written (e.g. its tenant was deleted meanwhile): holding it would block the rest
          log.error("pending writes: dropped a write the database refuses: {}", e.getMessage());
          done(write);
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

  static void notifyEnded(CallEvents events, UUID callId, AgiRepository.Ended ended) {
    try {
      events.ended(callId, ended.tenantId(), ended.recordingFile());
    } catch (RuntimeException e) {
      // CallEvents must not throw; if one does, the call is still ended and its row correct
      log.error("call-end listener failed", e);
    }
  }
}
