package io.asterline.agent;

import io.asterline.http.HealthCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The conversation's meters: what a caller notices (first audio, barge-in stop) and upstream trouble. */
final class TalkMetrics {

  private final MeterRegistry registry;
  private final Timer firstAudio;
  private final Timer bargeInStop;
  private final ConcurrentMap<String, Counter> upstreamErrors = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> decisions = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, AtomicInteger> active = new ConcurrentHashMap<>();

  TalkMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.firstAudio = Timer.builder("asterline.agent.first.audio")
        .description("from the media leg's connect to the first agent audio sent to Asterisk")
        .publishPercentiles(0.5, 0.99)
        .register(registry);
    this.bargeInStop = Timer.builder("asterline.agent.barge.in.stop")
        .description("from speech_started to the first frame without agent audio")
        .publishPercentiles(0.5, 0.99)
        .register(registry);
  }

  void firstAudio(Duration d) {
    firstAudio.record(d);
  }

  void bargeInStop(Duration d) {
    bargeInStop.record(d);
  }

  /** kind: connect, closed, fatal, error. */
  private volatile long lastReadyMillis;
  private volatile long lastFailureMillis;
  private volatile String lastFailure;

  void sessionReady() {
    lastReadyMillis = System.currentTimeMillis();
  }

  HealthCheck.Status realtimeStatus() {
    long ready = lastReadyMillis;
    long failed = lastFailureMillis;
    if (failed > ready) {
      return HealthCheck.Status.down("last session failed (" + lastFailure + ") at " + Instant.ofEpochMilli(failed)
          + "; calls take their fallback");
    }
    return HealthCheck.Status.up(ready == 0 ? "no session yet" : "last session ready at " + Instant.ofEpochMilli(ready));
  }

  void upstreamError(String kind) {
    if (!kind.equals("error") && !kind.equals("response_failed")) {
      // connect, fatal, closed: the session itself was lost
      lastFailure = kind;
      lastFailureMillis = System.currentTimeMillis();
    }
    upstreamErrors.computeIfAbsent(kind, k -> Counter.builder("asterline.realtime.errors")
        .description("Realtime upstream failures and error events").tag("kind", k).register(registry)).increment();
  }

  void decision(String decision, String reason) {
    decisions.computeIfAbsent(decision + "/" + reason, k -> Counter.builder("asterline.agent.endings")
        .description("how agent legs ended").tag("decision", decision).tag("reason", reason)
        .register(registry)).increment();
  }

  /** The live counter of calls for this tenant and direction. */
  AtomicInteger active(long tenantId, String direction) {
    return active.computeIfAbsent(tenantId + "/" + direction, k -> {
      AtomicInteger n = new AtomicInteger();
      Gauge.builder("asterline.calls.active", n, AtomicInteger::get)
          .description("calls talking to the agent on this node")
          .tag("tenant", Long.toString(tenantId)).tag("direction", direction)
          .register(registry);
      return n;
    });
  }
}
