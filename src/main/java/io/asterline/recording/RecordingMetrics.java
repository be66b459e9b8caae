package io.asterline.recording;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code asterline_recording_jobs{state=...}}: the queue as the database sees it (all nodes). One query per
 * scrape at most every few seconds, however many states are exported.
 */
final class RecordingMetrics {

  private static final Logger log = LoggerFactory.getLogger(RecordingMetrics.class);
  private static final long MAX_AGE_NANOS = 5_000_000_000L;

  private final RecordingJobs jobs;
  private Map<String, Long> counts = Map.of();
  private long readAt;
  private boolean read;

  private RecordingMetrics(RecordingJobs jobs) {
    this.jobs = jobs;
  }

  static void bind(MeterRegistry registry, RecordingJobs jobs) {
    RecordingMetrics m = new RecordingMetrics(jobs);
    for (String state : RecordingJobs.STATES) {
      Gauge.builder("asterline.recording.jobs", m, x -> x.count(state))
          .description("recording jobs by state, across all nodes")
          .tag("state", state)
          // nothing else holds the cache: a weakly held one would be collected and read NaN
          .strongReference(true)
          .register(registry);
    }
  }

  private synchronized double count(String state) {
    long now = System.nanoTime();
    if (!read || now - readAt > MAX_AGE_NANOS) {
      try {
        counts = jobs.countByState();
      } catch (RuntimeException e) {
        log.debug("recording job counts unavailable: {}", e.toString());
        return Double.NaN;
      } finally {
        readAt = now;
        read = true;
      }
    }
    return counts.getOrDefault(state, 0L);
  }
}
