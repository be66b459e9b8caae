package io.asterline.audiosocket;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** 8 kHz 16-bit mono PCM WAV files, the format AudioSocket carries: read for simulated callers, written for replies. */
final class Wav {

  private Wav() {}

  /** The PCM samples (little-endian) of {@code file}; an error names the file and the format it must have. */
  static byte[] readSlin8k(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    String expected = file + ": expected a WAV file of 16-bit PCM, mono, 8000 Hz (convert with: sox in.wav -r 8000 -c 1 -b 16 out.wav)";
    if (all.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
      throw new IllegalArgumentException(expected + "; it is not a RIFF/WAVE file");
    }
    int pos = 12;
    boolean fmtOk = false;
    String got = "no fmt chunk";
    while (pos + 8 <= all.length) {
      int id = b.getInt(pos);
      int size = b.getInt(pos + 4);
      int body = pos + 8;
      if (size < 0 || body + size > all.length) {
        size = all.length - body;
      }
      if (id == 0x20746d66) { // "fmt "
        int format = b.getShort(body) & 0xFFFF;
        int channels = b.getShort(body + 2);
        int rate = b.getInt(body + 4);
        int bits = b.getShort(body + 14);
        fmtOk = format == 1 && channels == 1 && rate == 8000 && bits == 16;
        got = (format == 1 ? "PCM" : "format " + format) + ", " + channels + " channel(s), " + rate + " Hz, " + bits + " bits";
      } else if (id == 0x61746164) { // "data"
        if (!fmtOk) {
          throw new IllegalArgumentException(expected + "; it has " + got);
        }
        byte[] pcm = new byte[size & ~1];
        System.arraycopy(all, body, pcm, 0, pcm.length);
        return pcm;
      }
      pos = body + size + (size & 1);
    }
    throw new IllegalArgumentException(expected + "; it has no data chunk");
  }

  static void writeSlin8k(Path file, byte[] pcm) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(44).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0x46464952).putInt(36 + pcm.length).putInt(0x45564157);
    h.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(8000).putInt(16000)
        .putShort((short) 2).putShort((short) 16);
    h.putInt(0x61746164).putInt(pcm.length);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(h.array());
      out.write(pcm);
    }
  }
}
