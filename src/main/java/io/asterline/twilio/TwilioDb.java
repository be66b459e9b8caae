package io.asterline.twilio;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.exception.DataAccessException;
import org.slf4j.MDC;

/**
 * The database work of Twilio's webhooks, under a deadline: Twilio gives a webhook 15 seconds before the caller hears
 * "an application error has occurred", and a pool waiting for a connection to a dead database would spend them all.
 * At the deadline the webhook stops waiting and answers its fallback TwiML; JDBC cannot be interrupted, so the work
 * runs on its own small pool ({@code twilio-db-N}).
 */
final class TwilioDb implements AutoCloseable {

  /** The database did not answer in time, refused, or failed. */
  static final class Unavailable extends Exception {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Duration deadline;
  private final ThreadPoolExecutor executor;

  TwilioDb(Duration deadline, int threads) {
    this.deadline = deadline;
    AtomicInteger n = new AtomicInteger();
    this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
        r -> {
          Thread t = new Thread(r, "twilio-db-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        }, new ThreadPoolExecutor.AbortPolicy());
    executor.allowCoreThreadTimeOut(true);
  }

  Duration deadline() {
    return deadline;
  }

  /** Runs {@code work} on the pool and waits up to the deadline; a database error is {@link Unavailable}. */
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
      throw new Unavailable("too many webhooks waiting for the database", e);
    }
    try {
      return future.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new Unavailable("no answer within " + deadline.toMillis() + " ms", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof DataAccessException || cause instanceof java.sql.SQLException) {
        throw new Unavailable(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      throw new Unavailable("interrupted while waiting for the database", e);
    }
  }

  /** Runs {@code work} on the pool without waiting (ends reported from an event loop). */
  void later(Runnable work) {
    var context = MDC.getCopyOfContextMap();
    try {
      executor.execute(() -> {
        if (context != null) {
          MDC.setContextMap(context);
        }
        try {
          work.run();
        } finally {
          MDC.clear();
        }
      });
    } catch (RejectedExecutionException e) {
      throw new IllegalStateException("twilio: too much database work queued", e);
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
  }
}
