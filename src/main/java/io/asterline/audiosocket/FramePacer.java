package io.asterline.audiosocket;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The 20 ms clock of one event loop, shared by every call on it: each tick hands every call its turn to send one
 * frame, always in the order the calls joined. A timer per call woke the loop for each call separately (at
 * 1,000 calls, 50,000 timer runs and thousands of extra epoll waits a second, a tenth of a core); one tick per
 * loop costs 50 wake-ups a second whatever the number of calls. A call's frames stay 20 ms apart because its
 * place in the order only changes when a call ahead of it leaves (then it moves earlier, by the few
 * microseconds that call took). Only ever touched on its event loop.
 */
final class FramePacer {

  /** One call's turn in a tick. */
  interface Paced {
    /** Sends this call's frame for the tick that was due at {@code dueNanos} and began at {@code startedNanos}. */
    void tick(long dueNanos, long startedNanos);
  }

  private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(CallHandler.FRAME_MILLIS);

  private final EventExecutor loop;
  private final ArrayList<Paced> calls = new ArrayList<>();
  /** Calls that left since the last compaction; their slots are skipped until then. */
  private final ArrayList<Paced> leaving = new ArrayList<>();
  private ScheduledFuture<?> clock;
  private long startNanos;
  private long ticks;
  private boolean inTick;

  FramePacer(EventExecutor loop) {
    this.loop = loop;
  }

  /** The call gets its first turn at the next tick (within 20 ms), then one every tick until {@link #remove}. */
  void add(Paced call) {
    assert loop.inEventLoop();
    calls.add(call);
    if (clock == null) {
      startNanos = System.nanoTime() + FRAME_NANOS;
      ticks = 0;
      // the loop's scheduler keeps the fixed rate on System.nanoTime: no drift
      clock = loop.scheduleAtFixedRate(this::tick, FRAME_NANOS, FRAME_NANOS, TimeUnit.NANOSECONDS);
    }
  }

  /** The call gets no more turns, even later in a tick that is running now. */
  void remove(Paced call) {
    assert loop.inEventLoop();
    leaving.add(call);
    if (!inTick) {
      compact();
    }
  }

  int size() {
    return calls.size() - leaving.size();
  }

  private void tick() {
    long started = System.nanoTime();
    long due = startNanos + ticks * FRAME_NANOS;
    ticks++;
    inTick = true;
    try {
      // calls joining during the tick (a UUID read by a call's own turn) start at the next one
      for (int i = 0, n = calls.size(); i < n; i++) {
        Paced call = calls.get(i);
        if (leaving.isEmpty() || !leaving.contains(call)) {
          call.tick(due, started);
        }
      }
    } finally {
      inTick = false;
      compact();
    }
  }

  private void compact() {
    if (!leaving.isEmpty()) {
      calls.removeAll(leaving);
      leaving.clear();
    }
    if (calls.isEmpty() && clock != null) {
      clock.cancel(false);
      clock = null;
    }
  }
}
