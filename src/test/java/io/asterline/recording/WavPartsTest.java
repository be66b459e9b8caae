package io.asterline.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavPartsTest {

  @TempDir
  Path dir;

  @Test
  void aDataSizeMixMonitorNeverWroteMeansUpToTheEndOfTheFile() throws IOException {
    byte[] wav = Fixtures.wav(1001);
    // MixMonitor cut short: RIFF and data sizes still 0, and a half sample frame at the end
    ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 0).putInt(40, 0);
    byte[] file = Arrays.copyOf(wav, wav.length - 1);
    Path path = Files.write(dir.resolve("cut.wav"), file);

    WavParts wav2 = WavParts.read(path);
    assertThat(wav2.dataLength()).isEqualTo(2000);
    List<WavParts.Part> parts = wav2.split(1044);
    assertThat(parts).extracting(WavParts.Part::length).containsExactly(1000L, 1000L);
    try (var in = parts.get(1).open(path)) {
      byte[] second = in.readAllBytes();
      assertThat(ByteBuffer.wrap(second).order(ByteOrder.LITTLE_ENDIAN).getInt(40)).isEqualTo(1000);
      assertThat(Arrays.copyOfRange(second, 44, second.length)).isEqualTo(Arrays.copyOfRange(wav, 1044, 2044));
    }
  }

  @Test
  void somethingElseIsNotSplit() throws IOException {
    Path path = Files.write(dir.resolve("x.mp3"), new byte[] {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0, 0, 0});
    assertThatThrownBy(() -> WavParts.read(path)).hasMessageContaining("is not a WAV file");
  }
}
