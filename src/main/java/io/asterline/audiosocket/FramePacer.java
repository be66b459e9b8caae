package io.asterline.audiosocket;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The 20 ms clock of one event loop, shared by every call on it. The calls are split into a few groups with
 * ticks spread evenly over the 20 ms; a group's tick hands each of its calls its turn to send one frame, always
 * in the order the calls joined. A timer per call meant 50,000 timer runs a second through the loop's
 * scheduled-task queue at 1,000 calls; the groups cost a few hundred ticks a second whatever the number of
 * calls, and keep each burst of writes (and what the far ends must read at once) small. A call's frames stay
 * 20 ms apart because it never changes group and its place in the group only changes when a call ahead of it
 * leaves (then it moves earlier, by the few microseconds that call took). Only ever touched on its event loop.
 */
final class FramePacer {

  /** One call's turn in a tick. */
  interface Paced {
    /** Sends this call's frame for the tick that was due at {@code dueNanos} and began at {@code startedNanos}. */
    void tick(long dueNanos, long startedNanos);
  }

  private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(CallHandler.FRAME_MILLIS);
  static final int GROUPS = 4;

  private final EventExecutor loop;
  private final long periodNanos;
  private final Group[] groups;
  private int members;
  private ScheduledFuture<?> clock;
  private long startNanos;
  private long ticks;

  /** Calls taking their turns at the same tick. */
  private static final class Group {
    final ArrayList<Paced> calls = new ArrayList<>();
    /** Calls that left since the last compaction; their turns are skipped until then. */
    final ArrayList<Paced> leaving = new ArrayList<>();
    boolean inTick;

    int size() {
      return calls.size() - leaving.size();
    }

    void compact() {
      if (!leaving.isEmpty()) {
        calls.removeAll(leaving);
        leaving.clear();
      }
    }
  }

  FramePacer(EventExecutor loop) {
    this(loop, GROUPS);
  }

  FramePacer(EventExecutor loop, int groups) {
    this.loop = loop;
    this.periodNanos = FRAME_NANOS / groups;
    this.groups = new Group[groups];
    for (int i = 0; i < groups; i++) {
      this.groups[i] = new Group();
    }
  }

  /**
   * The call joins the smallest group and gets its first turn at that group's next tick (within 20 ms), then one
   * every 20 ms until {@link #remove}.
   */
  void add(Paced call) {
    assert loop.inEventLoop();
    Group smallest = groups[0];
    for (Group g : groups) {
      if (g.size() < smallest.size()) {
        smallest = g;
      }
    }
    smallest.calls.add(call);
    members++;
    if (clock == null) {
      startNanos = System.nanoTime() + periodNanos;
      ticks = 0;
      // the loop's scheduler keeps the fixed rate on System.nanoTime: no drift
      clock = loop.scheduleAtFixedRate(this::tick, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** The call gets no more turns, even later in a tick that is running now. */
  void remove(Paced call) {
    assert loop.inEventLoop();
    for (Group g : groups) {
      if (g.calls.contains(call) && !g.leaving.contains(call)) {
        g.leaving.add(call);
        members--;
        if (!g.inTick) {
          g.compact();
        }
        break;
      }
    }
    stopWhenEmpty();
  }

  int size() {
    return members;
  }

  private void tick() {
    long started = System.nanoTime();
    long due = startNanos + ticks * periodNanos;
    Group g = groups[(int) (ticks % groups.length)];
    ticks++;
    g.inTick = true;
    try {
      // calls joining during the tick (a UUID read by a call's own turn) start at their group's next tick
      for (int i = 0, n = g.calls.size(); i < n; i++) {
        Paced call = g.calls.get(i);
        if (g.leaving.isEmpty() || !g.leaving.contains(call)) {
          call.tick(due, started);
        }
      }
    } finally {
      g.inTick = false;
      g.compact();
    }
  }

  private void stopWhenEmpty() {
    if (members == 0 && clock != null) {
      clock.cancel(false);
      clock = null;
    }
  }
}
