package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

class DbBatchTest {

  @Test
  void requestsWaitingTogetherGoInOneBatchAndEachGetsItsOwnAnswer() throws Exception {
    CountDownLatch firstRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(12);
    try (DbDeadline health = new DbDeadline(Duration.ofSeconds(10), 1, 4);
        DbBatch<Integer, String> batch = new DbBatch<>("test", 8, 64, health, items -> {
          batches.add(items);
          firstRunning.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return items.stream().map(i -> "answer " + i).toList();
        })) {
      Future<String> first = callers.submit(() -> batch.call(0));
      assertThat(firstRunning.await(5, TimeUnit.SECONDS)).isTrue();
      // ten requests arrive while the first batch runs: they form the next batches, at most 8 each
      List<Future<String>> next = new ArrayList<>();
      for (int i = 1; i <= 10; i++) {
        int n = i;
        next.add(callers.submit(() -> batch.call(n)));
      }
      while (batch.queued() < 10) {
        Thread.sleep(5);
      }
      release.countDown();
      assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo("answer 0");
      for (int i = 1; i <= 10; i++) {
        assertThat(next.get(i - 1).get(5, TimeUnit.SECONDS)).isEqualTo("answer " + i);
      }
      assertThat(batches).hasSize(3);
      assertThat(batches.get(0)).containsExactly(0);
      assertThat(batches.get(1)).hasSize(8);
      assertThat(batches.get(2)).hasSize(2);
      assertThat(health.degraded()).isFalse();
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aRequestThatGaveUpBeforeItsBatchStartedIsLeftOut() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> seen = new CopyOnWriteArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (DbDeadline health = new DbDeadline(Duration.ofMillis(100), 1, 4);
        DbBatch<Integer, Integer> batch = new DbBatch<>("test", 8, 64, health, items -> {
          seen.addAll(items);
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          return items;
        })) {
      Future<?> blocker = callers.submit(() -> {
        try {
          return batch.call(1);
        } catch (DbDeadline.Unavailable e) {
          return null;
        }
      });
      while (seen.isEmpty()) {
        Thread.sleep(5);
      }
      // the database is stuck on the first batch: the next request is answered Unavailable at its deadline
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> batch.call(2)).isInstanceOf(DbDeadline.Unavailable.class)
          .hasMessageContaining("100 ms");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
      assertThat(health.degraded()).isTrue();
      release.countDown();
      blocker.get(5, TimeUnit.SECONDS);
      // once the database moves again, what was given up is not written behind the caller's back
      assertThat(batch.call(3)).isEqualTo(3);
      assertThat(seen).containsExactly(1, 3);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aFailedBatchIsUnavailableForEveryRequestInIt() {
    try (DbDeadline health = new DbDeadline(Duration.ofSeconds(5), 1, 4);
        DbBatch<Integer, Integer> batch = new DbBatch<>("test", 8, 64, health, items -> {
          throw new DataAccessException("connection refused");
        })) {
      assertThatThrownBy(() -> batch.call(1)).isInstanceOf(DbDeadline.Unavailable.class)
          .hasMessageContaining("connection refused");
      assertThat(health.degraded()).isTrue();
    }
  }

  @Test
  void aQuietWorkerDoesNotLinger() throws Exception {
    List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (DbDeadline health = new DbDeadline(Duration.ofSeconds(30), 1, 4);
        DbBatch<Integer, Integer> batch = new DbBatch<>("test", 8, 64, Duration.ofSeconds(2), health, items -> {
          batches.add(items);
          return items;
        })) {
      // requests a moment apart each run at once, alone, not after the 2 s linger
      for (int i = 0; i < 6; i++) {
        int n = i;
        assertThat(callers.submit(() -> batch.call(n)).get(1, TimeUnit.SECONDS)).isEqualTo(n);
        Thread.sleep(200);
      }
      assertThat(batches).containsExactly(List.of(0), List.of(1), List.of(2), List.of(3), List.of(4), List.of(5));
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aBusyWorkerLingersForRequestsArrivingJustAfter() throws Exception {
    List<List<Integer>> batches = new CopyOnWriteArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (DbDeadline health = new DbDeadline(Duration.ofSeconds(30), 1, 4);
        DbBatch<Integer, Integer> batch = new DbBatch<>("test", 8, 64, Duration.ofSeconds(2), health, items -> {
          batches.add(items);
          if (items.get(0) >= 10) {
            // a slow database
            try {
              Thread.sleep(600);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          }
          return items;
        })) {
      // busy: slow batches, with requests piling up behind them, for more than a second
      List<Future<Integer>> slow = new ArrayList<>();
      slow.add(callers.submit(() -> batch.call(10)));
      while (batches.isEmpty()) {
        Thread.sleep(5);
      }
      for (int i = 11; i <= 16; i++) {
        int n = i;
        slow.add(callers.submit(() -> batch.call(n)));
        while (batch.queued() < n - 10) {
          Thread.sleep(1);
        }
      }
      for (Future<Integer> f : slow) {
        f.get(5, TimeUnit.SECONDS);
      }
      // now a batch lingers: a request arriving a moment after its first shares it
      Future<Integer> one = callers.submit(() -> batch.call(1));
      Thread.sleep(200);
      Future<Integer> two = callers.submit(() -> batch.call(2));
      assertThat(one.get(5, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(two.get(5, TimeUnit.SECONDS)).isEqualTo(2);
      assertThat(batches).containsExactly(List.of(10), List.of(11, 12, 13, 14, 15, 16), List.of(1, 2));
    } finally {
      callers.shutdownNow();
    }
  }
}
