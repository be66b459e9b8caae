package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

class DbDeadlineTest {

  @Test
  void workPastTheDeadlineIsGivenUpAndMarksTheDatabaseDegraded() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    try (DbDeadline db = new DbDeadline(Duration.ofMillis(50), 1, 4)) {
      assertThat(db.call(() -> 42)).isEqualTo(42);
      assertThat(db.degraded()).isFalse();
      assertThatThrownBy(() -> db.call(() -> {
        never.await();
        return null;
      }))
          .isInstanceOf(DbDeadline.Unavailable.class).hasMessageContaining("50 ms");
      assertThat(db.degraded()).isTrue();
      never.countDown();
      assertThat(db.call(() -> "back")).isEqualTo("back");
      assertThat(db.degraded()).isFalse();
    }
  }

  @Test
  void databaseErrorsAreUnavailableButBugsAreNot() {
    try (DbDeadline db = new DbDeadline(Duration.ofSeconds(5), 1, 4)) {
      assertThatThrownBy(() -> db.call(() -> {
        throw new DataAccessException("connection refused");
      })).isInstanceOf(DbDeadline.Unavailable.class).hasMessageContaining("connection refused");
      assertThatThrownBy(() -> db.call(() -> {
        throw new IllegalStateException("a bug");
      })).isInstanceOf(IllegalStateException.class).hasMessage("a bug");
    }
  }

  @Test
  void aFullQueueAnswersAtOnce() throws Exception {
    CountDownLatch hold = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    try (DbDeadline db = new DbDeadline(Duration.ofSeconds(30), 1, 1)) {
      Thread busy = waiter(db, () -> {
        running.countDown();
        hold.await();
        return null;
      });
      running.await();
      Thread queued = waiter(db, () -> {
        hold.await();
        return null;
      });
      while (db.queued() < 1) {
        Thread.sleep(5);
      }
      assertThatThrownBy(() -> db.call(() -> 1)).isInstanceOf(DbDeadline.Unavailable.class)
          .hasMessageContaining("too many");
      hold.countDown();
      busy.join();
      queued.join();
    }
  }

  private static Thread waiter(DbDeadline db, java.util.concurrent.Callable<Object> work) {
    Thread t = new Thread(() -> {
      try {
        db.call(work);
      } catch (DbDeadline.Unavailable e) {
        throw new AssertionError(e);
      }
    }, "deadline-test");
    t.start();
    return t;
  }
}
