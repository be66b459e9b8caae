package io.asterline.audiosocket;

import io.asterline.audiosocket.AudioSocketFrame.Kind;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Keeps what a test's AsteriskAudioSocketClient received: frames, their arrival times, the agent's audio. */
public final class RecordingListener implements AsteriskAudioSocketClient.Listener {

  public record Frame(Kind kind, int length, boolean silent, long nanos) {}

  public final List<Frame> frames = new ArrayList<>();
  private final ByteArrayOutputStream agentAudio = new ByteArrayOutputStream();
  public volatile long hangupNanos;
  public volatile long closedNanos;
  public volatile long firstAgentAudioNanos;

  @Override
  public synchronized void frame(AudioSocketFrame f, long nanos) {
    ByteBuf p = f.payload();
    boolean silent = true;
    for (int i = p.readerIndex(); i < p.writerIndex(); i++) {
      if (p.getByte(i) != 0) {
        silent = false;
        break;
      }
    }
    frames.add(new Frame(f.kind(), p.readableBytes(), silent, nanos));
    if (f.kind() == Kind.HANGUP) {
      hangupNanos = nanos;
    } else if (!silent) {
      if (firstAgentAudioNanos == 0) {
        firstAgentAudioNanos = nanos;
      }
      byte[] b = new byte[p.readableBytes()];
      p.getBytes(p.readerIndex(), b);
      agentAudio.writeBytes(b);
    }
  }

  @Override
  public void closed(long nanos) {
    closedNanos = nanos;
  }

  public synchronized int agentFrames() {
    int n = 0;
    for (Frame f : frames) {
      if (f.kind() == Kind.AUDIO && !f.silent()) {
        n++;
      }
    }
    return n;
  }

  public synchronized int agentFramesAfter(long nanos) {
    int n = 0;
    for (Frame f : frames) {
      if (f.kind() == Kind.AUDIO && !f.silent() && f.nanos() > nanos) {
        n++;
      }
    }
    return n;
  }

  public synchronized List<Frame> snapshot() {
    return new ArrayList<>(frames);
  }

  public synchronized byte[] agentAudio() {
    return agentAudio.toByteArray();
  }

  public static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + millis + " ms waiting for " + what);
      }
      Thread.sleep(5);
    }
  }
}
