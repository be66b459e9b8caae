package io.asterline.bench.asterisk;

import io.asterline.realtime.MuLaw;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Arrays;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * One call's RTP as the carrier's side sees it: PCMU sent every 20 ms (silence, or a tone while the caller
 * "talks"), and every packet Asterisk sends recorded with its arrival time and whether it carried speech.
 * All legs share one {@link Clock}: one thread sends for every leg on a steady 20 ms tick, one thread
 * receives for every leg through a selector.
 */
final class RtpLeg {

  /** Mean absolute amplitude above which a 20 ms packet counts as speech (silence is 0). */
  static final int SPEECH_LEVEL = 500;

  private final Clock clock;
  private final DatagramChannel channel;
  private volatile InetSocketAddress remote;
  private volatile boolean running;
  private final int ssrc = ThreadLocalRandom.current().nextInt();
  private int seq = ThreadLocalRandom.current().nextInt(0xffff);
  private int timestamp = ThreadLocalRandom.current().nextInt();

  // what this side sends: a tone from talkFrom to talkUntil (nanoTime), else silence
  private volatile long talkFrom = Long.MAX_VALUE;
  private volatile long talkUntil = Long.MIN_VALUE;
  private volatile double toneHz = 400;
  private long phase;
  /** nanoTime of the first speech packet of each talk spurt sent. */
  volatile long firstTalkSent;

  // what arrived
  private long[] arrivals = new long[1024];
  private boolean[] speech = new boolean[1024];
  private int[] timestamps = new int[1024];
  private boolean[] marks = new boolean[1024];
  private short[] crossings = new short[1024];
  private int count;

  RtpLeg(Clock clock) throws IOException {
    this.clock = clock;
    this.channel = DatagramChannel.open();
    channel.setOption(StandardSocketOptions.SO_RCVBUF, 256 << 10);
    channel.bind(new InetSocketAddress("127.0.0.1", 0));
    channel.configureBlocking(false);
  }

  int port() {
    try {
      return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void start(InetSocketAddress to) {
    remote = to;
    running = true;
    clock.add(this);
  }

  void stop() {
    running = false;
    clock.remove(this);
  }

  /** Talk (a tone) for the given time, starting now. */
  void talk(long millis, double hz) {
    toneHz = hz;
    firstTalkSent = 0;
    long now = System.nanoTime();
    talkUntil = now + millis * 1_000_000L;
    talkFrom = now;
  }

  long talkUntil() {
    return talkUntil;
  }

  private void sendTick(long now, ByteBuffer buf) {
    InetSocketAddress to = remote;
    if (!running || to == null) {
      return;
    }
    boolean talking = now >= talkFrom && now < talkUntil;
    buf.clear();
    buf.put((byte) 0x80).put((byte) 0).putShort((short) seq++).putInt(timestamp).putInt(ssrc);
    timestamp += 160;
    for (int i = 0; i < 160; i++) {
      short s = talking ? (short) (6000 * Math.sin(2 * Math.PI * toneHz * (phase++) / 8000.0)) : 0;
      buf.put(MuLaw.encode(s));
    }
    buf.flip();
    if (talking && firstTalkSent == 0) {
      firstTalkSent = now;
    }
    try {
      channel.send(buf, to);
    } catch (ClosedChannelException e) {
      running = false;
    } catch (IOException e) {
      // loopback buffers full: a lost packet, as on a real network
    }
  }

  private synchronized void received(long at, ByteBuffer packet) {
    if (packet.remaining() < 12 + 160) {
      return;
    }
    int first = packet.get(packet.position()) & 0xff;
    int pt = packet.get(packet.position() + 1) & 0x7f;
    boolean mark = (packet.get(packet.position() + 1) & 0x80) != 0;
    int ts = packet.getInt(packet.position() + 4);
    if ((first >> 6) != 2 || pt != 0) {
      return;
    }
    int csrc = first & 0x0f;
    int off = packet.position() + 12 + 4 * csrc;
    long sum = 0;
    int n = packet.limit() - off;
    int signs = 0;
    int last = 0;
    for (int i = 0; i < n; i++) {
      int v = MuLaw.decode(packet.get(off + i));
      sum += Math.abs(v);
      if (v != 0) {
        int sign = v > 0 ? 1 : -1;
        signs += last != 0 && sign != last ? 1 : 0;
        last = sign;
      }
    }
    if (count == arrivals.length) {
      arrivals = Arrays.copyOf(arrivals, count * 2);
      speech = Arrays.copyOf(speech, count * 2);
      timestamps = Arrays.copyOf(timestamps, count * 2);
      marks = Arrays.copyOf(marks, count * 2);
      crossings = Arrays.copyOf(crossings, count * 2);
    }
    crossings[count] = (short) signs;
    arrivals[count] = at;
    timestamps[count] = ts;
    marks[count] = mark;
    speech[count] = n > 0 && sum / n > SPEECH_LEVEL;
    count++;
  }

  /** A copy of what arrived so far. */
  synchronized Received received() {
    return new Received(Arrays.copyOf(arrivals, count), Arrays.copyOf(speech, count), Arrays.copyOf(timestamps, count),
        Arrays.copyOf(marks, count), Arrays.copyOf(crossings, count));
  }

  /** Packets from Asterisk: arrival times (nanoTime), whether each carried speech, RTP timestamps and marker bits. */
  record Received(long[] at, boolean[] speech, int[] ts, boolean[] mark, short[] crossings) {
    int size() {
      return at.length;
    }

    /** Whether packet {@code i} carries a tone of about {@code hz} (its zero crossings over 20 ms, within 10 %). */
    boolean tone(int i, double hz) {
      double expected = 2 * hz * 0.020;
      return speech[i] && Math.abs(crossings[i] - expected) <= 0.1 * expected + 1;
    }

    /**
     * What a phone with a fixed jitter buffer of {@code depthMs} would not play of packets {@code from} to
     * {@code to} (exclusive): each packet is due {@code depthMs} after the arrival the stream's timing predicts for
     * it (the RTP timestamp, counted from the first packet, re-anchored at each marker bit as receivers resync on
     * a new talk spurt), and one that arrives after it is due is concealed. Returns the speech packets concealed.
     */
    int lateForJitterBuffer(int from, int to, long depthMs) {
      int late = 0;
      long anchorAt = 0;
      int anchorTs = 0;
      int start = Math.max(0, from);
      for (int i = start; i < Math.min(to, at.length); i++) {
        if (i == start || mark[i]) {
          anchorAt = at[i];
          anchorTs = ts[i];
          continue;
        }
        long due = anchorAt + (ts[i] - anchorTs) * 125_000L + depthMs * 1_000_000L;
        if (at[i] > due && speech[i]) {
          late++;
        }
      }
      return late;
    }

    /** The first speech packet at or after {@code from}, or -1. */
    int firstSpeech(long from) {
      for (int i = 0; i < at.length; i++) {
        if (at[i] >= from && speech[i]) {
          return i;
        }
      }
      return -1;
    }

    /**
     * When the agent's audio of {@code hz} (one response's tone) stopped after {@code from}: at the first packet
     * without it (silence, or the next response), or, for a transport that sends
     * nothing while the agent is quiet, 20 ms after the last speech packet when no packet follows it within
     * {@code quietNanos}. Returns {index of the agent's last speech packet, when it stopped (nanoTime)}, or null
     * when the agent was not speaking at {@code from} or never stopped.
     */
    long[] speechEnd(long from, long quietNanos, double hz) {
      for (int i = 0; i < at.length; i++) {
        if (at[i] < from) {
          continue;
        }
        if (!tone(i, hz)) {
          if (i == 0 || !tone(i - 1, hz)) {
            return null;
          }
          // the next response after a quiet spell: the agent had stopped when its last packet ended
          return new long[] {i - 1, at[i] - at[i - 1] > quietNanos ? at[i - 1] + 20_000_000L : at[i]};
        }
        if (i + 1 == at.length || at[i + 1] - at[i] > quietNanos) {
          return new long[] {i, at[i] + 20_000_000L};
        }
      }
      return null;
    }

    /** The first silent packet at or after {@code from}, or -1. */
    int firstSilence(long from) {
      for (int i = 0; i < at.length; i++) {
        if (at[i] >= from && !speech[i]) {
          return i;
        }
      }
      return -1;
    }
  }

  /** The one sender thread and the one receiver thread for every leg. */
  static final class Clock implements AutoCloseable {
    private final Set<RtpLeg> legs = ConcurrentHashMap.newKeySet();
    private final Queue<RtpLeg> toRegister = new ConcurrentLinkedQueue<>();
    private final Selector selector;
    private final Thread sender;
    private final Thread receiver;
    private volatile boolean open = true;
    /** Ticks the sender ran more than 5 ms late: the bench's own lateness, printed so it is not blamed on the node. */
    volatile long lateTicks;

    Clock() throws IOException {
      selector = Selector.open();
      sender = new Thread(this::send, "rtp-send");
      receiver = new Thread(this::receive, "rtp-receive");
      sender.setPriority(Thread.MAX_PRIORITY);
      receiver.setPriority(Thread.MAX_PRIORITY);
      sender.setDaemon(true);
      receiver.setDaemon(true);
      sender.start();
      receiver.start();
    }

    void add(RtpLeg leg) {
      legs.add(leg);
      toRegister.add(leg);
      selector.wakeup();
    }

    void remove(RtpLeg leg) {
      legs.remove(leg);
    }

    private void send() {
      ByteBuffer buf = ByteBuffer.allocateDirect(12 + 160);
      long next = System.nanoTime();
      while (open) {
        next += 20_000_000L;
        long wait;
        while ((wait = next - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        long now = System.nanoTime();
        if (now - next > 5_000_000L) {
          lateTicks++;
        }
        for (RtpLeg leg : legs) {
          leg.sendTick(now, buf);
        }
      }
    }

    private void receive() {
      ByteBuffer buf = ByteBuffer.allocateDirect(2048);
      while (open) {
        try {
          RtpLeg add;
          while ((add = toRegister.poll()) != null) {
            try {
              add.channel.register(selector, SelectionKey.OP_READ, add);
            } catch (ClosedChannelException e) {
              // hung up before its first packet
            }
          }
          selector.select(100);
          for (SelectionKey key : selector.selectedKeys()) {
            RtpLeg leg = (RtpLeg) key.attachment();
            DatagramChannel ch = (DatagramChannel) key.channel();
            while (true) {
              buf.clear();
              if (ch.receive(buf) == null) {
                break;
              }
              long at = System.nanoTime();
              buf.flip();
              leg.received(at, buf);
            }
          }
          selector.selectedKeys().clear();
        } catch (IOException e) {
          if (open) {
            System.err.println("rtp: " + e);
          }
        } catch (java.nio.channels.ClosedSelectorException e) {
          return;
        } catch (java.nio.channels.CancelledKeyException e) {
          // a leg closed under us
        }
      }
    }

    /** Closes a leg's socket once nothing reads it. */
    void close(RtpLeg leg) {
      remove(leg);
      try {
        leg.channel.close();
      } catch (IOException ignored) {
        // closing
      }
    }

    @Override
    public void close() throws IOException {
      open = false;
      selector.wakeup();
      selector.close();
    }
  }
}
