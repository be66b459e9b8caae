package io.asterline.mediaws;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.agent.MediaLeg.Played;
import io.asterline.media.Playout;
import org.junit.jupiter.api.Test;

/** Where Asterisk's playback stands between its marks: a clock given by the test, no sleeping. */
class PlayoutTest {

  private static final long MS = 1_000_000;

  @Test
  void positionFollowsTheClockFromTheLastMarkAndNeverPassesWhatWasSent() {
    Playout p = new Playout();
    long t0 = 1_000 * MS;
    String m1 = p.sent("item_1", 1600, t0); // 200 ms
    String m2 = p.sent("item_1", 1600, t0); // 400 ms in all
    assertThat(p.played(t0 + 100 * MS)).isEqualTo(new Played("item_1", 100));
    // Asterisk was slower than the clock: its mark puts the playhead back where it really is
    p.markProcessed(m1, t0 + 260 * MS);
    assertThat(p.played(t0 + 260 * MS)).isEqualTo(new Played("item_1", 200));
    assertThat(p.played(t0 + 300 * MS)).isEqualTo(new Played("item_1", 240));
    assertThat(p.playing(t0 + 500 * MS)).isFalse();
    assertThat(p.played(t0 + 500 * MS)).isNull();
    p.markProcessed(m2, t0 + 460 * MS);
    assertThat(p.queued(t0 + 460 * MS)).isZero();
  }

  @Test
  void theItemPlayingIsTheOneUnderThePlayheadAndAFlushForgetsTheRest() {
    Playout p = new Playout();
    long t0 = 5_000 * MS;
    p.sent("item_1", 800, t0); // 100 ms
    p.sent("item_2", 8000, t0); // 1 s
    assertThat(p.played(t0 + 50 * MS)).isEqualTo(new Played("item_1", 50));
    assertThat(p.played(t0 + 350 * MS)).isEqualTo(new Played("item_2", 250));
    p.flushed(t0 + 350 * MS);
    assertThat(p.playing(t0 + 351 * MS)).isFalse();
    // audio sent after a flush starts at once: Asterisk's queue is empty
    p.sent("item_3", 800, t0 + 2_000 * MS);
    assertThat(p.played(t0 + 2_040 * MS)).isEqualTo(new Played("item_3", 40));
  }

  @Test
  void marksFromBeforeAFlushAreIgnored() {
    Playout p = new Playout();
    long t0 = 9_000 * MS;
    String old = p.sent("item_1", 8000, t0);
    p.flushed(t0 + 100 * MS);
    p.sent("item_2", 1600, t0 + 200 * MS);
    p.markProcessed(old, t0 + 210 * MS);
    assertThat(p.played(t0 + 250 * MS)).isEqualTo(new Played("item_2", 50));
  }
}
