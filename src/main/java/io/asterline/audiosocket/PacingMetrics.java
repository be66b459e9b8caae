package io.asterline.audiosocket;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** How well the AudioSocket pacer keeps its 20 ms clock: what a busy box does to the frames callers hear. */
final class PacingMetrics {

  private final Counter skippedFrames;
  private final Counter lateTicks;

  PacingMetrics(MeterRegistry registry) {
    this.skippedFrames = Counter.builder("asterline.audiosocket.frames.skipped")
        .description("output frames not sent because the event loop was late or Asterisk was not reading")
        .register(registry);
    this.lateTicks = Counter.builder("asterline.audiosocket.ticks.late")
        .description("output frames sent more than 5 ms after their slot on the pacing clock (CPU starvation)")
        .register(registry);
  }

  void tickLate() {
    lateTicks.increment();
  }

  void frameSkipped() {
    skippedFrames.increment();
  }
}
