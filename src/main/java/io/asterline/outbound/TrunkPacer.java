package io.asterline.outbound;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls-per-second limit per trunk: carriers reject calls started faster than the account allows (Twilio: 1 per
 * second by default), so calls beyond the rate wait in a first-in first-out queue per trunk instead of failing.
 * The gap is measured from when the previous call of the trunk was actually started, so a late start never lets
 * the next one follow too closely.
 */
public final class TrunkPacer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TrunkPacer.class);

  /** A call waiting for its turn. */
  public interface Paced {
    /**
     * Its turn has come: start it (quickly; it runs on the pacer's thread). False when it cannot start yet
     * (AMI reconnecting): it stays first in line and is asked again shortly, and the trunk's gap is not used up.
     */
    boolean start();

    /** It will never start (the service is stopping). */
    void abandon();
  }

  private final class Lane {
    final String trunk;
    final long intervalNanos;
    final ArrayDeque<Paced> waiting = new ArrayDeque<>();
    long lastStart = Long.MIN_VALUE;
    boolean scheduled;
    /** the call being started right now, out of the queue for that moment */
    boolean starting;

    Lane(String trunk, double cps) {
      this.trunk = trunk;
      this.intervalNanos = (long) (1_000_000_000L / cps);
    }
  }

  /** How soon a call that could not start yet is asked again. */
  static final long RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final ToDoubleFunction<String> cps;
  private final ScheduledExecutorService scheduler;
  private final Map<String, Lane> lanes = new HashMap<>();
  private boolean closed;

  public TrunkPacer(ToDoubleFunction<String> cpsPerTrunk) {
    this.cps = cpsPerTrunk;
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "outbound-cps");
      t.setDaemon(true);
      return t;
    });
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.scheduler = executor;
  }

  /** Queues the call behind the trunk's earlier ones; returns how many were waiting before it. */
  public int submit(String trunk, Paced call) {
    synchronized (this) {
      if (!closed) {
        Lane lane = lanes.computeIfAbsent(trunk, t -> new Lane(t, cps.applyAsDouble(t)));
        lane.waiting.add(call);
        int ahead = lane.waiting.size() - 1;
        if (!lane.scheduled) {
          schedule(lane);
        }
        return ahead;
      }
    }
    call.abandon();
    return 0;
  }

  /** Calls waiting on this trunk right now (one being started counts until it has left). */
  public synchronized int waiting(String trunk) {
    Lane lane = lanes.get(trunk);
    return lane == null ? 0 : lane.waiting.size() + (lane.starting ? 1 : 0);
  }

  private void schedule(Lane lane) {
    long now = System.nanoTime();
    long delay = lane.lastStart == Long.MIN_VALUE ? 0 : Math.max(0, lane.lastStart + lane.intervalNanos - now);
    lane.scheduled = true;
    scheduler.schedule(() -> next(lane), delay, TimeUnit.NANOSECONDS);
  }

  private void next(Lane lane) {
    Paced call;
    synchronized (this) {
      if (closed) {
        return;
      }
      if (lane.lastStart != Long.MIN_VALUE && System.nanoTime() - lane.lastStart < lane.intervalNanos) {
        // woken early (timer granularity): wait out the rest of the gap
        schedule(lane);
        return;
      }
      call = lane.waiting.poll();
      if (call == null) {
        lane.scheduled = false;
        return;
      }
      lane.starting = true;
    }
    boolean started = true;
    boolean abandon = false;
    try {
      started = call.start();
    } catch (RuntimeException e) {
      log.error("outbound: starting a call on trunk {} failed", lane.trunk, e);
    } finally {
      synchronized (this) {
        lane.scheduled = false;
        lane.starting = false;
        // close() has already collected the waiting calls: this one is not among them
        abandon = !started && closed;
        if (!started && !closed) {
          lane.waiting.addFirst(call);
          lane.scheduled = true;
          scheduler.schedule(() -> next(lane), RETRY_NANOS, TimeUnit.NANOSECONDS);
        } else {
          // counted from the end of the start, which holds the send: the next call leaves at least a full
          // interval after this one did, whatever the start cost
          lane.lastStart = System.nanoTime();
          if (!closed && !lane.waiting.isEmpty()) {
            schedule(lane);
          }
        }
      }
      if (abandon) {
        call.abandon();
      }
    }
  }

  /** Stops starting calls; the ones still waiting are abandoned (each told so). */
  @Override
  public void close() {
    List<Paced> left = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      lanes.values().forEach(l -> left.addAll(l.waiting));
      lanes.clear();
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Paced call : left) {
      try {
        call.abandon();
      } catch (RuntimeException e) {
        log.warn("outbound: abandoning a waiting call failed: {}", e.toString());
      }
    }
  }
}
