package io.asterline.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM killed with SIGKILL leaves its embedded PostgreSQL running (pg_ctl daemonises it); the next start
 * stops that orphan and comes up at once, with the data intact. Processes that are not our orphan are
 * never touched.
 */
class EmbeddedCrashTest {

  @TempDir
  Path dir;

  @Test
  void aStartAfterKill9StopsTheOrphanedPostmasterAndKeepsTheData() throws Exception {
    Path pgDir = dir.resolve("postgres");
    Process child = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), EmbeddedChild.class.getName(), pgDir.toString())
        .redirectErrorStream(true).start();
    List<String> output = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          output.add(line);
        }
      } catch (Exception ignored) {
        // the child is gone
      }
    }, "embedded-child-output");
    reader.start();
    EmbeddedPostgres again = null;
    long orphan = -1;
    try {
      awaitReady(output, child);
      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

      orphan = postmasterPid(pgDir.resolve("data"));
      assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive))
          .as("the killed JVM's postmaster is still running").contains(true);

      long started = System.nanoTime();
      again = Database.startEmbedded(pgDir, 0);
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      assertThat(took).as("restart after kill -9").isLessThan(Duration.ofSeconds(8));
      assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      try (Connection c = again.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT note FROM survivor")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("written before the crash");
      }
    } finally {
      child.destroyForcibly();
      if (again != null) {
        again.close();
      } else if (orphan > 0) {
        ProcessHandle.of(orphan).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void aLiveProcessThatIsNotPostgresIsLeftAlone() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Process stranger = new ProcessBuilder("sleep", "60").start();
    try {
      writePidFile(data, stranger.pid(), data);
      assertThat(new OrphanedPostmaster(data, Duration.ofSeconds(1)).stopIfPresent()).isFalse();
      assertThat(stranger.isAlive()).isTrue();
    } finally {
      stranger.destroyForcibly();
    }
  }

  @Test
  void aPostgresOfAnotherDataDirectoryIsLeftAlone() throws Exception {
    // the shared test server is a live postmaster serving its own directory, not this one
    long postmaster;
    try (Connection c = TestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      postmaster = ProcessHandle.of(rs.getInt(1)).flatMap(ProcessHandle::parent).orElseThrow().pid();
    }
    Path data = Files.createDirectories(dir.resolve("data"));
    writePidFile(data, postmaster, data);
    assertThat(new OrphanedPostmaster(data, Duration.ofSeconds(1)).stopIfPresent()).isFalse();
    assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive)).contains(true);
  }

  @Test
  void aDataDirectoryHeldByARunningServerIsNotTouched() throws Exception {
    Path pgDir = dir.resolve("postgres");
    try (EmbeddedPostgres running = Database.startEmbedded(pgDir, 0)) {
      long postmaster = postmasterPid(pgDir.resolve("data"));
      assertThatThrownBy(() -> Database.startEmbedded(pgDir, 0))
          .hasMessageContaining("in use by another running Asterline");
      assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive)).contains(true);
    }
  }

  private static void writePidFile(Path data, long pid, Path dataDir) throws Exception {
    Files.writeString(data.resolve("postmaster.pid"),
        pid + "\n" + dataDir + "\n1700000000\n5432\n/tmp\n127.0.0.1\n  1234  5678\nready   \n");
  }

  private static long postmasterPid(Path data) throws Exception {
    return Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
  }

  private static void awaitReady(List<String> output, Process child) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (output.stream().anyMatch(l -> l.startsWith("READY "))) {
        return;
      }
      if (!child.isAlive()) {
        throw new AssertionError("the child JVM exited:\n" + String.join("\n", output));
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the child JVM did not start its PostgreSQL:\n" + String.join("\n", output));
  }
}
