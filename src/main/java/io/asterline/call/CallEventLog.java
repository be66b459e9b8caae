package io.asterline.call;

import static io.asterline.db.generated.Tables.CALL_EVENT;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.jooq.JSONB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the moments of a call's conversation to {@code call_event} as they happen (see V15): the console's
 * timeline and the live view's "last words". The agent calls {@link Recorder} on its event loop; the writes go
 * through one named thread with a bounded queue, so a slow or absent database never holds up audio. A write that
 * cannot be made is dropped and counted ({@code asterline_call_events_dropped_total}): the call row still gets
 * its totals when the leg ends.
 */
public final class CallEventLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CallEventLog.class);

  /** One call's events. Every method returns at once and never throws. */
  public interface Recorder {
    Recorder NONE = new Recorder() {};

    default void connected(String transport) {}

    default void greeting(long ms) {}

    default void turn(String role, String text) {}

    default void bargeIn(long stopMs) {}

    default void toolCall(String name, String arguments) {}

    default void voicemail(String result, String why) {}

    default void fallback(String reason, Decision decision) {}
  }

  /** Hands out the recorder for each call: {@link CallEventLog#forCall}, or none (tests, tools). */
  @FunctionalInterface
  public interface Recorders {
    Recorder forCall(UUID callId);

    Recorders NONE = id -> Recorder.NONE;
  }

  private final DSLContext dsl;
  private final ObjectMapper json;
  private final ThreadPoolExecutor writer;
  private final Counter dropped;

  public CallEventLog(DSLContext dsl, ObjectMapper json, MeterRegistry metrics) {
    this.dsl = dsl;
    this.json = json;
    this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000),
        r -> {
          Thread t = new Thread(r, "call-events");
          t.setDaemon(true);
          return t;
        });
    this.dropped = Counter.builder("asterline.call.events.dropped")
        .description("conversation events (call_event rows) not written: queue full or database unreachable")
        .register(metrics);
  }

  public Recorder forCall(UUID callId) {
    return new Recorder() {
      @Override
      public void connected(String transport) {
        write(callId, "connected", json.createObjectNode().put("transport", transport));
      }

      @Override
      public void greeting(long ms) {
        write(callId, "greeting", json.createObjectNode().put("ms", ms));
      }

      @Override
      public void turn(String role, String text) {
        if (text != null && !text.isBlank()) {
          write(callId, "turn", json.createObjectNode().put("role", role).put("text", text.strip()));
        }
      }

      @Override
      public void bargeIn(long stopMs) {
        write(callId, "barge_in", json.createObjectNode().put("stop_ms", stopMs));
      }

      @Override
      public void toolCall(String name, String arguments) {
        ObjectNode d = json.createObjectNode().put("name", name);
        try {
          d.set("arguments", json.readTree(arguments == null || arguments.isBlank() ? "{}" : arguments));
        } catch (Exception e) {
          d.put("arguments", arguments); // what the model sent, even when it is not JSON
        }
        write(callId, "tool_call", d);
      }

      @Override
      public void voicemail(String result, String why) {
        write(callId, "voicemail", json.createObjectNode().put("result", result).put("why", why));
      }

      @Override
      public void fallback(String reason, Decision decision) {
        write(callId, "fallback", json.createObjectNode().put("reason", reason).put("decision", decision.dbValue()));
      }
    };
  }

  private void write(UUID callId, String kind, ObjectNode detail) {
    OffsetDateTime at = OffsetDateTime.now();
    try {
      writer.execute(() -> {
        try {
          dsl.insertInto(CALL_EVENT)
              .set(CALL_EVENT.CALL_ID, callId)
              .set(CALL_EVENT.AT, at)
              .set(CALL_EVENT.KIND, kind)
              .set(CALL_EVENT.DETAIL, JSONB.valueOf(detail.toString()))
              .execute();
        } catch (RuntimeException e) {
          dropped.increment();
          log.debug("call {}: {} event not stored: {}", callId, kind, e.getMessage());
        }
      });
    } catch (RejectedExecutionException e) {
      dropped.increment();
    }
  }

  /** Writes what is queued (up to a few seconds), then stops. */
  @Override
  public void close() {
    writer.shutdown();
    try {
      if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("call events: {} not written at shutdown", writer.getQueue().size());
        writer.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      writer.shutdownNow();
    }
  }
}
