package io.asterline.twiliomedia;

import static org.assertj.core.api.Assertions.assertThat;

import io.asterline.realtime.MuLaw;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two-channel recording's time line, with a clock given by the test and the writer on the test's thread. */
class StreamRecordingTest {

  private static final long MS = 1_000_000;

  @TempDir
  Path dir;

  @Test
  void agentAudioLandsWhereItPlaysAndAClearCutsWhatWasNotHeard() throws Exception {
    long t0 = 1_000 * MS;
    Path file = dir.resolve("7").resolve("call.wav");
    StreamRecording r = new StreamRecording(file, t0, Runnable::run);
    byte[] caller = new byte[160];
    Arrays.fill(caller, MuLaw.encode((short) 1000));
    byte[] agent = new byte[8000];
    Arrays.fill(agent, MuLaw.encode((short) -2000));
    // the caller's 20 ms frames for 1.5 s; the agent's second of audio sent at 200 ms, then more of it at 300 ms
    for (int ts = 0; ts < 1500; ts += 20) {
      r.caller(caller, ts);
    }
    r.agent(agent, 0, 8000, t0 + 200 * MS);
    r.agent(agent, 0, 4000, t0 + 300 * MS);
    r.flush(t0 + 1400 * MS);
    // the caller barged in at 700 ms: what was queued after that was never heard
    r.cut(t0 + 700 * MS);
    Path written = r.finish(t0 + 1500 * MS).get();
    assertThat(written).isEqualTo(file);
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    int samples = b.getInt(40) / 4;
    assertThat(samples).isEqualTo(1500 * 8);
    assertThat(left(b, 0)).isEqualTo((short) MuLaw.decode(caller[0]));
    assertThat(left(b, samples - 1)).isEqualTo((short) MuLaw.decode(caller[0]));
    assertThat(right(b, 200 * 8 - 1)).isZero();
    assertThat(right(b, 200 * 8)).isEqualTo(MuLaw.decode(agent[0]));
    assertThat(right(b, 700 * 8 - 1)).isEqualTo(MuLaw.decode(agent[0]));
    assertThat(right(b, 700 * 8)).as("cut at the clear").isZero();
    assertThat(right(b, 1300 * 8)).isZero();
  }

  private static short left(ByteBuffer b, int sample) {
    return b.getShort(44 + 4 * sample);
  }

  private static short right(ByteBuffer b, int sample) {
    return b.getShort(44 + 4 * sample + 2);
  }
}
