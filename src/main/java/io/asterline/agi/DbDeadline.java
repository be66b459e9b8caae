package io.asterline.agi;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.exception.DataAccessException;
import org.slf4j.MDC;

/**
 * Runs an AGI request's database work with a deadline. The work runs on its own small pool so the AGI thread
 * can stop waiting at the deadline and answer from memory: JDBC calls cannot be interrupted, and a pool
 * waiting for a connection to a dead database would otherwise hold the call for seconds.
 */
final class DbDeadline implements AutoCloseable {

  /** The database did not answer in time, refused, or failed. */
  static final class Unavailable extends Exception {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Duration deadline;
  private final ThreadPoolExecutor executor;
  private volatile Instant lastFailure;
  private volatile Instant lastSuccess;

  DbDeadline(Duration deadline, int threads, int queueCapacity) {
    this.deadline = deadline;
    AtomicInteger n = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "agi-db-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queueCapacity), factory, new ThreadPoolExecutor.AbortPolicy());
    executor.allowCoreThreadTimeOut(true);
  }

  Duration deadline() {
    return deadline;
  }

  /** Requests waiting for a database thread. */
  int queued() {
    return executor.getQueue().size();
  }

  <T> T call(Callable<T> work) throws Unavailable {
    var context = MDC.getCopyOfContextMap();
    Future<T> future;
    try {
      future = executor.submit(() -> {
        if (context != null) {
          MDC.setContextMap(context);
        }
        try {
          return work.call();
        } finally {
          MDC.clear();
        }
      });
    } catch (RejectedExecutionException e) {
      lastFailure = Instant.now();
      throw new Unavailable("too many requests waiting for the database", e);
    }
    try {
      T result = future.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
      lastSuccess = Instant.now();
      return result;
    } catch (TimeoutException e) {
      future.cancel(true);
      lastFailure = Instant.now();
      throw new Unavailable("no answer within " + deadline.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      throw unavailable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new Unavailable("interrupted while waiting for the database", e);
    }
  }

  /**
   * What a failed database task means: a database error is {@link Unavailable} (and marks the database
   * degraded); anything else is a bug, rethrown, so the script answers ERROR instead of hiding it behind
   * DEGRADED.
   */
  Unavailable unavailable(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof DataAccessException || cause instanceof SQLException) {
      failed();
      return new Unavailable(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
    if (cause instanceof RuntimeException r) {
      throw r;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    throw new IllegalStateException(cause);
  }

  /** For {@link DbBatch}, which shares this deadline and health. */
  void succeeded() {
    lastSuccess = Instant.now();
  }

  void failed() {
    lastFailure = Instant.now();
  }

  /** True when the last request that reached a verdict failed: inbound is answering from memory. */
  boolean degraded() {
    Instant failure = lastFailure;
    Instant success = lastSuccess;
    return failure != null && (success == null || failure.isAfter(success));
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
