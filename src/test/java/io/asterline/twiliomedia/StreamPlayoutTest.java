package io.asterline.twiliomedia;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agent.MediaLeg.Played;
import io.asterline.media.Playout;
import org.junit.jupiter.api.Test;

/** Where Twilio's playback stands between the marks it echoes: a clock given by the test, no sleeping. */
class StreamPlayoutTest {

  private static final long MS = 1_000_000;

  @Test
  void positionFollowsTheClockFromTheLastEchoAndNeverPassesWhatWasSent() {
    Playout p = new Playout();
    long t0 = 1_000 * MS;
    String m1 = p.sent("item_1", 1600, t0);
    String m2 = p.sent("item_1", 1600, t0);
    assertThat(p.played(t0 + 100 * MS)).isEqualTo(new Played("item_1", 100));
    // Twilio began late: its echo puts the playhead back where it really is
    p.markProcessed(m1, t0 + 260 * MS);
    assertThat(p.played(t0 + 260 * MS)).isEqualTo(new Played("item_1", 200));
    assertThat(p.played(t0 + 300 * MS)).isEqualTo(new Played("item_1", 240));
    assertThat(p.playing(t0 + 500 * MS)).isFalse();
    assertThat(p.played(t0 + 500 * MS)).isNull();
    p.markProcessed(m2, t0 + 460 * MS);
    assertThat(p.pendingMarks()).isZero();
  }

  @Test
  void theItemPlayingIsTheOneUnderThePlayheadAndAClearForgetsTheRest() {
    Playout p = new Playout();
    long t0 = 5_000 * MS;
    p.sent("item_1", 800, t0);
    String pending = p.sent("item_2", 8000, t0);
    assertThat(p.played(t0 + 50 * MS)).isEqualTo(new Played("item_1", 50));
    assertThat(p.played(t0 + 350 * MS)).isEqualTo(new Played("item_2", 250));
    p.flushed(t0 + 350 * MS);
    assertThat(p.playing(t0 + 351 * MS)).isFalse();
    // Twilio echoes the cleared mark at once: it changes nothing
    p.markProcessed(pending, t0 + 360 * MS);
    assertThat(p.playing(t0 + 361 * MS)).isFalse();
    // audio sent after a clear starts at once: Twilio's buffer is empty
    p.sent("item_3", 800, t0 + 2_000 * MS);
    assertThat(p.played(t0 + 2_040 * MS)).isEqualTo(new Played("item_3", 40));
  }
}
