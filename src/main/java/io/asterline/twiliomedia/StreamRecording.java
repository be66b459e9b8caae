package io.asterline.twiliomedia;

import io.asterline.realtime.MuLaw;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The call's recording, made by Asterline since Twilio records nothing: a two-channel 16-bit PCM WAV at 8 kHz, the
 * caller left and the agent right, on one time line that starts with the stream. The caller's audio lands where
 * Twilio's timestamps put it; the agent's where Twilio plays it (at once when Twilio's buffer was empty, else right
 * after what was buffered), and a clear cuts it where the caller stopped hearing it. The event loop keeps only the
 * last seconds, which a clear may still change, in memory; every second what is settled goes to {@code writer} (one
 * thread for all calls), which appends it to the file, so the loop never touches the disk.
 */
final class StreamRecording {

  private static final Logger log = LoggerFactory.getLogger(StreamRecording.class);

  private static final int BYTES_PER_MS = 8;
  /** The caller's audio of the last second may still be on its way: what is older is settled. */
  private static final long SETTLE_BYTES = 1000 * BYTES_PER_MS;
  /** Nothing is placed further than this ahead of what was written (10 minutes of agent audio sent ahead). */
  private static final long MAX_AHEAD_BYTES = 600_000L * BYTES_PER_MS;
  private static final byte SILENCE = (byte) 0xFF;
  private static final int HEADER = 44;

  private final Path file;
  private final long startNanos;
  private final Executor writer;
  /** Offsets (µ-law samples since the stream began) written out so far; the window starts there. */
  private long flushed;
  private byte[] caller = new byte[16_000];
  private byte[] agent = new byte[16_000];
  private long callerEnd;
  private long agentEnd;
  private boolean finished;
  // the writer thread's side
  private FileChannel out;
  private long dataBytes;
  private boolean failed;

  StreamRecording(Path file, long startNanos, Executor writer) {
    this.file = file;
    this.startNanos = startNanos;
    this.writer = writer;
    Arrays.fill(caller, SILENCE);
    Arrays.fill(agent, SILENCE);
  }

  Path file() {
    return file;
  }

  private long offset(long now) {
    return Math.max(0, (now - startNanos) / 125_000);
  }

  /** The caller's µ-law of Twilio's {@code timestampMs} (negative: right after the last). */
  void caller(byte[] mulaw, long timestampMs) {
    if (finished) {
      return;
    }
    long at = timestampMs < 0 ? callerEnd : Math.max(timestampMs * BYTES_PER_MS, callerEnd);
    at = Math.max(at, flushed);
    if (put(true, at, mulaw, 0, mulaw.length)) {
      callerEnd = at + mulaw.length;
    }
  }

  /**
   * Agent audio sent to Twilio at {@code now}: it plays at once when nothing of the agent's was still playing, else
   * right after what was.
   */
  void agent(byte[] mulaw, int offset, int length, long now) {
    if (finished) {
      return;
    }
    long at = Math.max(agentEnd, offset(now));
    if (put(false, at, mulaw, offset, length)) {
      agentEnd = at + length;
    }
  }

  /** A clear at {@code now}: the agent's audio the caller had not heard yet is not in the recording either. */
  void cut(long now) {
    long at = Math.max(offset(now), flushed);
    if (agentEnd > at) {
      int from = (int) (at - flushed);
      int to = (int) Math.min(agent.length, agentEnd - flushed);
      if (from < to) {
        Arrays.fill(agent, from, to, SILENCE);
      }
      agentEnd = at;
    }
  }

  private boolean put(boolean left, long at, byte[] src, int offset, int length) {
    if (at + length - flushed > MAX_AHEAD_BYTES) {
      log.warn("recording: audio placed over {} s ahead; not recorded", MAX_AHEAD_BYTES / 8000);
      return false;
    }
    int need = (int) (at + length - flushed);
    ensure(need);
    System.arraycopy(src, offset, left ? caller : agent, (int) (at - flushed), length);
    return true;
  }

  private void ensure(int need) {
    if (need <= caller.length) {
      return;
    }
    int size = Math.max(need, caller.length * 2);
    int old = caller.length;
    caller = Arrays.copyOf(caller, size);
    agent = Arrays.copyOf(agent, size);
    Arrays.fill(caller, old, size, SILENCE);
    Arrays.fill(agent, old, size, SILENCE);
  }

  /** Hands what is settled by {@code now} (older than a second) to the writer. */
  void flush(long now) {
    if (!finished) {
      writeUpTo(offset(now) - SETTLE_BYTES);
    }
  }

  /**
   * The stream is over at {@code now}: agent audio Twilio had not played is cut, the rest is written and the file
   * closed. Completes with the file, or null when it could not be written (logged).
   */
  CompletableFuture<Path> finish(long now) {
    CompletableFuture<Path> done = new CompletableFuture<>();
    if (finished) {
      done.complete(null);
      return done;
    }
    cut(now);
    writeUpTo(Math.max(callerEnd, agentEnd));
    finished = true;
    caller = null;
    agent = null;
    try {
      writer.execute(() -> done.complete(close()));
    } catch (RejectedExecutionException e) {
      log.warn("recording: the service is stopping; {} is left as written so far", file);
      done.complete(null);
    }
    return done;
  }

  private void writeUpTo(long upTo) {
    int n = (int) Math.min(upTo - flushed, caller.length);
    if (n <= 0) {
      return;
    }
    byte[] pcm = new byte[n * 4];
    for (int i = 0; i < n; i++) {
      short l = MuLaw.decode(caller[i]);
      short r = MuLaw.decode(agent[i]);
      pcm[4 * i] = (byte) l;
      pcm[4 * i + 1] = (byte) (l >> 8);
      pcm[4 * i + 2] = (byte) r;
      pcm[4 * i + 3] = (byte) (r >> 8);
    }
    // the window moves on: what stays (not settled yet) goes to its start
    System.arraycopy(caller, n, caller, 0, caller.length - n);
    System.arraycopy(agent, n, agent, 0, agent.length - n);
    Arrays.fill(caller, caller.length - n, caller.length, SILENCE);
    Arrays.fill(agent, agent.length - n, agent.length, SILENCE);
    flushed += n;
    try {
      writer.execute(() -> append(pcm));
    } catch (RejectedExecutionException e) {
      // the service is stopping: finish() says so once
    }
  }

  // ------------------------------------------------------------------ the writer thread

  private void append(byte[] pcm) {
    if (failed) {
      return;
    }
    try {
      if (out == null) {
        Files.createDirectories(file.getParent());
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        out.write(header(0));
      }
      ByteBuffer b = ByteBuffer.wrap(pcm);
      while (b.hasRemaining()) {
        out.write(b);
      }
      dataBytes += pcm.length;
    } catch (IOException e) {
      fail(e);
    }
  }

  private Path close() {
    try {
      if (!failed && out == null) {
        append(new byte[0]);
      }
      if (failed) {
        return null;
      }
      out.write(header(dataBytes), 0);
      out.force(false);
      out.close();
      return file;
    } catch (IOException e) {
      fail(e);
      return null;
    }
  }

  private void fail(IOException e) {
    if (!failed) {
      log.error("recording: cannot write {} ({}); this call is not recorded", file, e.getMessage());
    }
    failed = true;
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  /** RIFF/WAVE, PCM, 2 channels, 8000 Hz, 16 bits. */
  static ByteBuffer header(long dataBytes) {
    ByteBuffer h = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    h.putInt(0x46464952).putInt((int) (36 + dataBytes)).putInt(0x45564157);
    h.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 2).putInt(8000).putInt(8000 * 4)
        .putShort((short) 4).putShort((short) 16);
    h.putInt(0x61746164).putInt((int) dataBytes);
    return h.flip();
  }
}
