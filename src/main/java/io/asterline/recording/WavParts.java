package io.asterline.recording;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a WAV file into parts no larger than an upload limit, each a complete WAV file of its own (the
 * original format chunk, a data chunk cut on a sample-frame boundary), without reading the audio into
 * memory. MixMonitor writes the data size only when it closes the file, so a size of 0 or one larger than
 * the file is taken to mean "up to the end of the file".
 */
final class WavParts {

  /** One part: a WAV header followed by {@code length} bytes of the source file from {@code offset}. */
  record Part(int index, int count, byte[] header, long offset, long length) {

    long size() {
      return header.length + length;
    }

    /** The part as a stream; the caller closes it. */
    InputStream open(Path file) throws IOException {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      ch.position(offset);
      InputStream data = new BoundedInputStream(Channels.newInputStream(ch), length);
      return new SequenceInputStream(new java.io.ByteArrayInputStream(header), data);
    }
  }

  private final byte[] fmt;
  private final int blockAlign;
  private final long dataOffset;
  private final long dataLength;

  private WavParts(byte[] fmt, int blockAlign, long dataOffset, long dataLength) {
    this.fmt = fmt;
    this.blockAlign = blockAlign;
    this.dataOffset = dataOffset;
    this.dataLength = dataLength;
  }

  /** Reads the layout of a WAV file; fails with a message naming the file when it is not one. */
  static WavParts read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer riff = read(ch, 0, 12);
      if (riff == null || !tag(riff, 0).equals("RIFF") || !tag(riff, 8).equals("WAVE")) {
        throw new IOException(file + " is not a WAV file (no RIFF/WAVE header)");
      }
      byte[] fmt = null;
      long pos = 12;
      while (pos + 8 <= size) {
        ByteBuffer head = read(ch, pos, 8);
        String id = tag(head, 0);
        long length = Integer.toUnsignedLong(head.getInt(4));
        long body = pos + 8;
        if (id.equals("fmt ")) {
          if (length < 16 || length > 1024) {
            throw new IOException(file + ": WAV format chunk of " + length + " bytes");
          }
          ByteBuffer f = read(ch, body, (int) length);
          if (f == null) {
            throw new IOException(file + ": WAV format chunk cut short");
          }
          fmt = new byte[(int) length];
          f.get(0, fmt);
        } else if (id.equals("data")) {
          if (fmt == null) {
            throw new IOException(file + ": WAV data before its format chunk");
          }
          int align = ByteBuffer.wrap(fmt).order(ByteOrder.LITTLE_ENDIAN).getShort(12) & 0xffff;
          if (align == 0) {
            throw new IOException(file + ": WAV block align of 0");
          }
          long available = size - body;
          long data = length == 0 || length > available ? available : length;
          data -= data % align;
          return new WavParts(fmt, align, body, data);
        }
        pos = body + length + (length & 1);
      }
      throw new IOException(file + " is not a WAV file (no data chunk)");
    }
  }

  long dataLength() {
    return dataLength;
  }

  /** The parts, each at most {@code maxBytes} long including its header. */
  List<Part> split(long maxBytes) {
    int headerLength = header(0).length;
    long perPart = (maxBytes - headerLength) / blockAlign * blockAlign;
    if (perPart <= 0) {
      throw new IllegalArgumentException("upload limit of " + maxBytes + " bytes cannot hold one sample frame");
    }
    int count = (int) Math.max(1, (dataLength + perPart - 1) / perPart);
    List<Part> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long offset = i * perPart;
      long length = Math.min(perPart, dataLength - offset);
      parts.add(new Part(i + 1, count, header(length), dataOffset + offset, length));
    }
    return parts;
  }

  private byte[] header(long dataBytes) {
    int fmtPadded = fmt.length + (fmt.length & 1);
    ByteBuffer b = ByteBuffer.allocate(20 + fmtPadded + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.put("RIFF".getBytes(StandardCharsets.US_ASCII));
    b.putInt((int) (4 + 8 + fmtPadded + 8 + dataBytes));
    b.put("WAVE".getBytes(StandardCharsets.US_ASCII));
    b.put("fmt ".getBytes(StandardCharsets.US_ASCII));
    b.putInt(fmt.length);
    b.put(fmt);
    if ((fmt.length & 1) == 1) {
      b.put((byte) 0);
    }
    b.put("data".getBytes(StandardCharsets.US_ASCII));
    b.putInt((int) dataBytes);
    return b.array();
  }

  private static ByteBuffer read(FileChannel ch, long position, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    while (buf.hasRemaining()) {
      if (ch.read(buf, position + buf.position()) < 0) {
        return null;
      }
    }
    return buf.flip();
  }

  private static String tag(ByteBuffer b, int at) {
    byte[] t = new byte[4];
    b.get(at, t);
    return new String(t, StandardCharsets.US_ASCII);
  }

  /** Reads at most {@code limit} bytes of the wrapped stream. */
  private static final class BoundedInputStream extends java.io.FilterInputStream {
    private long left;

    BoundedInputStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = super.read(buf, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(Math.min(n, left));
      left -= skipped;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(super.available(), left);
    }
  }
}
