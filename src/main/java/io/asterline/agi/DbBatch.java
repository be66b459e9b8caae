package io.asterline.agi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database work that many AGI requests need at the same moment, done for all of them in one statement. One
 * worker thread takes whatever requests are waiting (up to {@code maxBatch}) and runs them as one batch; the
 * requests that arrive meanwhile form the next one. Idle, a batch is one request and costs what it did alone;
 * under load the per-statement costs (a round trip, a transaction, the counter rows' locks) are paid once per
 * batch instead of once per request, which is what lets one node admit thousands of calls a second.
 *
 * <p>Each request keeps its own deadline, as with {@link DbDeadline}: a request not answered in time is
 * {@link DbDeadline.Unavailable}, and a request whose caller already gave up before its batch started is left
 * out of it (its script answered from memory; the database must not admit it a second time).
 *
 * <p>Under sustained load a batch lingers: when the worker spent more than half of the last second running
 * batches, with requests piling up behind them (two or more a batch on average), it sleeps for {@code linger}
 * after taking a batch's first request (unless a full batch is already waiting), then takes what queued
 * meanwhile. Batches come out two to three times as large, and the
 * database and the hand-offs cost less per call (bench/agi, saturated: 8 to 17 % more calls a second in
 * alternating runs). A quiet node, or a burst on one, never waits.
 */
final class DbBatch<I, O> implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DbBatch.class);
  /** How long the worker measures itself before deciding again whether it is busy. */
  private static final long BUSY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final String name;
  private final Function<List<I>, List<O>> work;
  private final DbDeadline health;
  private final int maxBatch;
  private final long lingerNanos;
  /**
   * Whether the worker is busy: in its last measured second (or more) it ran batches more than half the time,
   * two or more requests each on average. Only then does a batch linger. A burst on an otherwise quiet node
   * (200 calls starting together) is over in milliseconds and gains nothing from waiting; a node admitting calls
   * all the time spends less per call.
   */
  private boolean busy;
  private long windowStart = System.nanoTime();
  private long runNanos;
  private int windowBatches;
  private int windowRequests;
  private final BlockingQueue<Pending<I, O>> queue;
  private final Thread worker;
  private volatile boolean closed;

  private static final class Pending<I, O> {
    final I item;
    final CompletableFuture<O> result = new CompletableFuture<>();
    /** Set by whichever comes first: the worker starting the batch, or the caller giving up. */
    final AtomicBoolean claimed = new AtomicBoolean();

    Pending(I item) {
      this.item = item;
    }
  }

  /**
   * @param work runs one batch, returning one output per input in the same order; it runs on the worker
   *     thread and may throw {@link DataAccessException} when the database fails
   * @param health where successes and failures are reported, so {@code /health} shows a degraded database
   */
  DbBatch(String name, int maxBatch, int queueCapacity, DbDeadline health, Function<List<I>, List<O>> work) {
    this(name, maxBatch, queueCapacity, Duration.ZERO, health, work);
  }

  /** @param linger how long a batch waits for more requests while the worker is busy (zero: never) */
  DbBatch(String name, int maxBatch, int queueCapacity, Duration linger, DbDeadline health,
      Function<List<I>, List<O>> work) {
    this.name = name;
    this.lingerNanos = linger.toNanos();
    this.work = work;
    this.health = health;
    this.maxBatch = maxBatch;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.worker = new Thread(this::run, "agi-db-" + name);
    worker.setDaemon(true);
    worker.start();
  }

  /** Runs {@code item} in the next batch and waits for its output, at most until the deadline. */
  O call(I item) throws DbDeadline.Unavailable {
    Pending<I, O> p = new Pending<>(item);
    if (closed || !queue.offer(p)) {
      health.failed();
      throw new DbDeadline.Unavailable(closed ? "stopping" : "too many requests waiting for the database", null);
    }
    Duration deadline = health.deadline();
    try {
      return p.result.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (p.claimed.compareAndSet(false, true)) {
        // never started: it will be skipped
        health.failed();
        throw new DbDeadline.Unavailable("no answer within " + deadline.toMillis() + " ms", e);
      }
      // its batch is running and will write this call's row and slot under the same call id: the script's
      // DEGRADED answer holds the same id in PendingWrites, whose replay finds the row already there, and the
      // call's end releases the slot as usual (the same as a late DbDeadline task)
      health.failed();
      throw new DbDeadline.Unavailable("no answer within " + deadline.toMillis() + " ms (batch still running)", e);
    } catch (ExecutionException e) {
      throw health.unavailable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DbDeadline.Unavailable("interrupted while waiting for the database", e);
    }
  }

  private void run() {
    List<Pending<I, O>> batch = new ArrayList<>(maxBatch);
    List<I> items = new ArrayList<>(maxBatch);
    while (!closed) {
      try {
        Pending<I, O> first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.clear();
        items.clear();
        take(first, batch, items);
        long started = System.nanoTime();
        if (started - windowStart >= BUSY_WINDOW_NANOS) {
          // busy: the database ran batches more than half the time, and requests piled up behind them (two or
          // more a batch on average); a slow database with calls arriving one at a time gains nothing
          busy = runNanos * 2 > started - windowStart && windowRequests >= 2 * windowBatches;
          windowStart = started;
          runNanos = 0;
          windowBatches = 0;
          windowRequests = 0;
        }
        if (busy && queue.size() < maxBatch - 1) {
          // it sleeps rather than waits on the queue: requests arriving meanwhile only queue, with no wake-up
          // (a context switch) each; waiting on the queue instead made a busy node slower, not faster
          LockSupport.parkNanos(lingerNanos);
        }
        while (batch.size() < maxBatch) {
          Pending<I, O> next = queue.poll();
          if (next == null) {
            break;
          }
          take(next, batch, items);
        }
        if (batch.isEmpty()) {
          continue;
        }
        long running = System.nanoTime();
        runBatch(batch, items);
        runNanos += System.nanoTime() - running;
        windowBatches++;
        windowRequests += batch.size();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException | Error e) {
        log.error("agi: {} batch worker failed", name, e);
      }
    }
  }

  private static <I, O> void take(Pending<I, O> p, List<Pending<I, O>> batch, List<I> items) {
    if (p.claimed.compareAndSet(false, true)) {
      batch.add(p);
      items.add(p.item);
    }
  }

  private void runBatch(List<Pending<I, O>> batch, List<I> items) {
    List<O> outputs;
    try {
      outputs = work.apply(List.copyOf(items));
      if (outputs.size() != items.size()) {
        throw new IllegalStateException(name + ": " + outputs.size() + " outputs for " + items.size() + " inputs");
      }
    } catch (RuntimeException e) {
      for (Pending<I, O> p : batch) {
        p.result.completeExceptionally(e);
      }
      return;
    }
    health.succeeded();
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).result.complete(outputs.get(i));
    }
  }

  /** Requests waiting for the next batch. */
  int queued() {
    return queue.size();
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    Pending<I, O> p;
    while ((p = queue.poll()) != null) {
      p.result.completeExceptionally(new DataAccessException("stopping"));
    }
  }
}
