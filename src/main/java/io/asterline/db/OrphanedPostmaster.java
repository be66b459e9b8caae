package io.asterline.db;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.asterline.config.UserException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL left running by a run that never stopped it. pg_ctl starts the postmaster as a
 * daemon, so a JVM killed with SIGKILL (OOM killer, {@code kill -9}, a container runtime's timeout) leaves
 * it running, still holding {@code postmaster.pid} and the data directory; the next start would wait in
 * vain for a server of its own. Before starting, we stop that postmaster, but only when it is certainly
 * ours: no live Asterline holds the data directory's lock, and the process named in
 * {@code postmaster.pid} is alive, is a postgres process and serves this very data directory.
 */
final class OrphanedPostmaster {

  private static final Logger log = LoggerFactory.getLogger(OrphanedPostmaster.class);

  /** zonky's lock file in the data directory, held by the JVM running the embedded PostgreSQL. */
  static final String LOCK_FILE = "epg-lock";

  private final Path dataDir;
  private final Duration fastShutdownWait;

  OrphanedPostmaster(Path dataDir, Duration fastShutdownWait) {
    this.dataDir = dataDir.toAbsolutePath().normalize();
    this.fastShutdownWait = fastShutdownWait;
  }

  /**
   * Stops the orphaned postmaster of the data directory, if there is one; returns whether it stopped one.
   *
   * @throws UserException when another running process holds the data directory
   */
  boolean stopIfPresent() {
    Path pidFile = dataDir.resolve("postmaster.pid");
    if (!Files.isRegularFile(pidFile)) {
      return false;
    }
    requireNoLiveOwner();
    List<String> lines;
    try {
      lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      log.warn("embedded PostgreSQL: cannot read {} ({}); starting anyway", pidFile, e.getMessage());
      return false;
    }
    if (lines.size() < 2 || !lines.get(0).trim().matches("\\d+")) {
      // being written by a postmaster starting right now, or damaged: PostgreSQL itself judges it
      return false;
    }
    long pid = Long.parseLong(lines.get(0).trim());
    if (!sameDirectory(Path.of(lines.get(1).trim()))) {
      log.warn("embedded PostgreSQL: {} names another data directory ({}); its process {} is left alone",
          pidFile, lines.get(1).trim(), pid);
      return false;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (process.isEmpty()) {
      return false; // a stale file: PostgreSQL removes it itself when it starts
    }
    Optional<List<String>> command = commandLine(pid);
    if (command.isEmpty() || command.get().isEmpty() || !isPostgres(command.get().get(0))) {
      log.warn("embedded PostgreSQL: process {} named in {} is not PostgreSQL; it is left alone", pid, pidFile);
      return false;
    }
    if (!servesThisDirectory(pid, command.get())) {
      log.warn("embedded PostgreSQL: PostgreSQL process {} named in {} serves another data directory; it is left"
          + " alone", pid, pidFile);
      return false;
    }
    long started = System.nanoTime();
    String how = stop(process.get());
    log.warn("embedded PostgreSQL: stopped PostgreSQL (pid {}) left running in {} by an earlier run that did not"
        + " stop it (crash or kill -9): {} in {} ms", pid, dataDir, how,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    return true;
  }

  /** A live Asterline (this JVM included) holding the directory is not a crash; never touch its server. */
  private void requireNoLiveOwner() {
    Path lockFile = dataDir.resolve(LOCK_FILE);
    if (!Files.exists(lockFile)) {
      return;
    }
    try (RandomAccessFile raf = new RandomAccessFile(lockFile.toFile(), "rw");
        FileChannel channel = raf.getChannel()) {
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw inUse();
      }
      lock.release();
    } catch (OverlappingFileLockException e) {
      throw inUse();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL: cannot check {} ({})", lockFile, e.getMessage());
    }
  }

  private UserException inUse() {
    return inUse(dataDir);
  }

  /** The data directory is held by another live process: a serve running, or still starting. */
  static final class InUseException extends UserException {
    InUseException(String message) {
      super(message);
    }
  }

  static InUseException inUse(Path dataDir) {
    return new InUseException("the embedded PostgreSQL data directory " + dataDir
        + " is in use by another running Asterline (still starting, or a second serve); commands use the database"
        + " of a running serve once it has started; else stop it or set data.dir (ASTERLINE_DATA_DIR) to another"
        + " directory");
  }

  /**
   * Fast shutdown first (SIGINT: PostgreSQL's "fast" mode ends sessions, writes a checkpoint and removes
   * postmaster.pid); SIGTERM would be its "smart" mode, which waits for every client. SIGKILL, for the
   * postmaster and what it started, only when it does not go in time.
   */
  private String stop(ProcessHandle postmaster) {
    List<ProcessHandle> children = new ArrayList<>(postmaster.descendants().toList());
    signal(postmaster.pid(), "INT");
    if (awaitExit(postmaster, fastShutdownWait)) {
      return "fast shutdown";
    }
    log.warn("embedded PostgreSQL: pid {} did not stop within {} ms of SIGINT; killing it",
        postmaster.pid(), fastShutdownWait.toMillis());
    postmaster.destroyForcibly();
    children.addAll(postmaster.descendants().toList());
    // its backends would keep the shared memory attached, and PostgreSQL refuses to start beside them
    children.forEach(ProcessHandle::destroyForcibly);
    awaitExit(postmaster, Duration.ofSeconds(5));
    for (ProcessHandle child : children) {
      awaitExit(child, Duration.ofSeconds(1));
    }
    if (postmaster.isAlive()) {
      throw new IllegalStateException("cannot stop the orphaned embedded PostgreSQL (pid " + postmaster.pid()
          + ") in " + dataDir);
    }
    return "killed (SIGKILL)";
  }

  private static void signal(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      log.warn("embedded PostgreSQL: cannot run kill -{} {}: {}", signal, pid, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration wait) {
    try {
      process.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return !process.isAlive();
    } catch (ExecutionException e) {
      return !process.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  private static boolean isPostgres(String argv0) {
    String name = Path.of(argv0).getFileName().toString();
    return name.equals("postgres") || name.equals("postgres.exe");
  }

  /** Its working directory (the postmaster chdirs into its data directory) or its {@code -D} argument. */
  private boolean servesThisDirectory(long pid, List<String> command) {
    try {
      Path cwd = Path.of("/proc", Long.toString(pid), "cwd");
      if (Files.exists(cwd) && sameDirectory(cwd.toRealPath())) {
        return true;
      }
    } catch (IOException | SecurityException e) {
      // not readable (another user's process, or no /proc): the command line decides
    }
    for (int i = 0; i < command.size() - 1; i++) {
      if (command.get(i).equals("-D") && sameDirectory(Path.of(command.get(i + 1)))) {
        return true;
      }
    }
    return false;
  }

  private static Optional<List<String>> commandLine(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid), "cmdline");
    try {
      if (Files.isReadable(proc)) {
        String raw = Files.readString(proc, StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of(raw.split("\0")));
        return Optional.of(args);
      }
    } catch (IOException e) {
      // gone meanwhile, or not ours to read
    }
    return ProcessHandle.of(pid).flatMap(p -> {
      ProcessHandle.Info info = p.info();
      if (info.command().isEmpty()) {
        return Optional.empty();
      }
      List<String> args = new ArrayList<>();
      args.add(info.command().get());
      info.arguments().ifPresent(a -> args.addAll(List.of(a)));
      return Optional.of(args);
    });
  }

  private boolean sameDirectory(Path other) {
    Path candidate = other.toAbsolutePath().normalize();
    if (candidate.equals(dataDir)) {
      return true;
    }
    try {
      return Files.isSameFile(candidate, dataDir);
    } catch (IOException e) {
      return false;
    }
  }
}
