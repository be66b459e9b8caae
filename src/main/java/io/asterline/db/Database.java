package io.asterline.db;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.asterline.config.UserException;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The connection pool, and the embedded PostgreSQL behind it when no database URL is configured. */
public final class Database implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Database.class);
  /** A fast shutdown is a checkpoint away; a postmaster still running after this is killed. */
  private static final Duration ORPHAN_FAST_SHUTDOWN = Duration.ofSeconds(15);
  /**
   * In {@code <data.dir>/postgres} while a serve runs the embedded PostgreSQL: how commands reach it (its port and
   * the pid of the Java process running it; the password is in the directory's {@code password} file).
   */
  public static final String RUNNING_FILE = "running.json";
  /** Held while an embedded PostgreSQL starts in the directory. */
  static final String START_LOCK_FILE = "start.lock";
  /** How long a command waits for a starting serve (the first start: initdb, migrations) to announce itself. */
  private static final Duration STARTING_SERVE_WAIT = Duration.ofSeconds(90);

  private final HikariDataSource pool;
  private final EmbeddedPostgres embedded;
  private final boolean embeddedDefault;
  private final Path runningFile;
  private volatile boolean announced;
  private final String description;
  private final DSLContext dsl;

  private Database(HikariDataSource pool, EmbeddedPostgres embedded, boolean embeddedDefault, Path runningFile,
      String description) {
    this.pool = pool;
    this.embedded = embedded;
    this.embeddedDefault = embeddedDefault;
    this.runningFile = runningFile;
    this.description = description;
    this.dsl = DSL.using(pool, SQLDialect.POSTGRES);
  }

  /**
   * For commands run beside a node: the embedded PostgreSQL of the serve running on this data directory when
   * there is one (a second server on the same data directory is impossible), else as {@link #open}. With a
   * database URL, the same as {@link #open}.
   */
  public static Database attach(DatabaseConfig config) {
    if (config.url().isPresent()) {
      return open(config);
    }
    Path dir = embeddedDir(config);
    // a serve started moments ago holds the directory and announces its server once it is up (serve, then a
    // command in the next terminal, is the usual first hour); another command holding it lets go when it ends
    long deadline = System.nanoTime() + STARTING_SERVE_WAIT.toNanos();
    boolean said = false;
    while (true) {
      Optional<Database> running = connectToRunning(config, dir);
      if (running.isPresent()) {
        return running.get();
      }
      try {
        return open(config);
      } catch (OrphanedPostmaster.InUseException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        if (!said) {
          log.info("database: {} is in use by another Asterline (a serve starting?); waiting up to {} s", dir,
              STARTING_SERVE_WAIT.toSeconds());
          said = true;
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static Optional<Database> connectToRunning(DatabaseConfig config, Path dir) {
    Optional<Running> running = Running.read(dir.resolve(RUNNING_FILE));
    if (running.isEmpty()) {
      return Optional.empty();
    }
    Running r = running.get();
    String jdbc = "jdbc:postgresql://127.0.0.1:" + r.port() + "/postgres";
    String password = embeddedPassword(dir);
    if (!answers(jdbc, password)) {
      // the file outlived its server (a stopping node, a reused pid): start our own, as if there were none
      log.debug("database: {} names pid {} but nothing answers on 127.0.0.1:{}", dir.resolve(RUNNING_FILE),
          r.pid(), r.port());
      return Optional.empty();
    }
    log.info("database: embedded PostgreSQL of the running Asterline (pid {}), 127.0.0.1:{}", r.pid(), r.port());
    return Optional.of(new Database(pool(config, jdbc, EmbeddedAuth.SUPERUSER, password), null, true, null,
        "embedded PostgreSQL of the running Asterline (pid " + r.pid() + ", " + dir + ")"));
  }

  /** The configured database, else the embedded PostgreSQL of the data directory, started here. */
  public static Database open(DatabaseConfig config) {
    if (config.url().isPresent()) {
      DatabaseUrl url = config.url().get();
      log.info("database: PostgreSQL at {}", url.describe());
      return new Database(pool(config, url.jdbcUrl(), url.user(), url.password()), null, false, null,
          url.describe());
    }
    Path dir = embeddedDir(config);
    EmbeddedPostgres pg = startEmbedded(dir, config.embeddedPort());
    String jdbc = pg.getJdbcUrl(EmbeddedAuth.SUPERUSER, "postgres");
    log.info("database: embedded PostgreSQL, data in {}, listening on 127.0.0.1:{}", dir, pg.getPort());
    try {
      return new Database(pool(config, jdbc, EmbeddedAuth.SUPERUSER, embeddedPassword(dir)), pg, true,
          dir.resolve(RUNNING_FILE), "embedded PostgreSQL (" + dir + ")");
    } catch (RuntimeException e) {
      closeQuietly(pg);
      throw e;
    }
  }

  private static Path embeddedDir(DatabaseConfig config) {
    return config.dataDir().toAbsolutePath().normalize().resolve("postgres");
  }

  private static boolean answers(String jdbc, String password) {
    Properties props = new Properties();
    props.setProperty("user", EmbeddedAuth.SUPERUSER);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "2");
    props.setProperty("loginTimeout", "2");
    try (Connection c = DriverManager.getConnection(jdbc, props)) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** What {@link #RUNNING_FILE} says: the port of the embedded PostgreSQL and the process that runs it. */
  record Running(long pid, int port) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The announcement, when the process it names is alive (and not this one, which would be a leftover). */
    static Optional<Running> read(Path file) {
      if (!Files.isRegularFile(file)) {
        return Optional.empty();
      }
      try {
        JsonNode node = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        Running r = new Running(node.path("pid").asLong(), node.path("port").asInt());
        boolean alive = r.pid() != ProcessHandle.current().pid()
            && ProcessHandle.of(r.pid()).map(ProcessHandle::isAlive).orElse(false);
        return alive && r.port() > 0 ? Optional.of(r) : Optional.empty();
      } catch (IOException | RuntimeException e) {
        log.warn("database: ignoring {}: {}", file, e.getMessage());
        return Optional.empty();
      }
    }

    /** Written whole or not at all (a command never reads half a file). */
    static Path write(Path file, int port) {
      String text = "{\"pid\": " + ProcessHandle.current().pid() + ", \"port\": " + port + "}\n";
      try {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
      } catch (IOException e) {
        // commands then start their own server and fail on the lock, saying why: not worth stopping serve for
        log.warn("database: cannot write {} ({}); commands cannot use this node's database", file, e.getMessage());
        return null;
      }
    }
  }

  /**
   * Starts (or restarts, keeping its data) an embedded PostgreSQL in {@code dir}. A server left running by a
   * run that was killed is stopped first, so a crash never costs a second restart. Every connection needs the
   * password kept in {@code dir} ({@link #embeddedPassword}); the returned server's data sources carry it.
   */
  public static EmbeddedPostgres startEmbedded(Path dir, int port) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
    // zonky runs initdb before it takes its lock: two processes starting on a fresh directory at once (serve,
    // and a command typed in the next terminal) would both run initdb in it. One start at a time, then.
    Path startLock = dir.resolve(START_LOCK_FILE);
    try (FileChannel channel = FileChannel.open(startLock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw OrphanedPostmaster.inUse(dir.resolve("data").toAbsolutePath().normalize());
      }
      return startEmbeddedLocked(dir, port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
  }

  private static EmbeddedPostgres startEmbeddedLocked(Path dir, int port) {
    try {
      Path data = dir.resolve("data");
      Path dist = dir.resolve("dist");
      new OrphanedPostmaster(data, ORPHAN_FAST_SHUTDOWN).stopIfPresent();
      EmbeddedAuth auth = EmbeddedAuth.forDirectory(dir);
      LocatedBinaries binaries = new LocatedBinaries();
      EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
          .setDataDirectory(data)
          .setOverrideWorkingDirectory(dist.toFile())
          .setPgBinaryResolver(binaries)
          .setCleanDataDirectory(false)
          .setServerConfig("listen_addresses", "127.0.0.1")
          .setServerConfig("max_connections", "300")
          .setConnectConfig("password", auth.password())
          // after initdb, before the postmaster: nobody can connect before the password is required
          .setDataDirectoryCustomizer(d -> auth.prepare(d.toPath(), binaries.binary(dist, "postgres")));
      if (port > 0) {
        builder.setPort(port);
      }
      try {
        return builder.start();
      } catch (IllegalStateException e) {
        if (String.valueOf(e.getMessage()).contains("could not lock")) {
          throw OrphanedPostmaster.inUse(data.toAbsolutePath().normalize());
        }
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The password of the superuser {@code postgres} of the embedded PostgreSQL started in {@code dir}. */
  public static String embeddedPassword(Path dir) {
    return EmbeddedAuth.read(dir);
  }

  private static HikariDataSource pool(DatabaseConfig config, String jdbcUrl, String user, String password) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("asterline-db");
    hc.setJdbcUrl(jdbcUrl);
    if (user != null) {
      hc.setUsername(user);
    }
    if (password != null) {
      hc.setPassword(password);
    }
    hc.setMaximumPoolSize(config.poolSize());
    hc.setMinimumIdle(Math.min(2, config.poolSize()));
    hc.setConnectionTimeout(config.connectionTimeout().toMillis());
    hc.setValidationTimeout(Math.max(250, config.connectionTimeout().toMillis() / 2));
    // start even when the database is down: /health reports it and requests fail fast until it is back
    hc.setInitializationFailTimeout(-1);
    return new HikariDataSource(hc);
  }

  public DataSource dataSource() {
    return pool;
  }

  public DSLContext dsl() {
    return dsl;
  }

  /**
   * For serve, once the database is ready for commands (migrated, default tenant created): tells the commands run
   * beside it where its embedded PostgreSQL listens, in {@link #RUNNING_FILE}. Nothing to do for a configured
   * database, or one this process does not run. A command's own server is never announced: it stops when the
   * command ends, under anyone using it.
   */
  public synchronized void announce() {
    if (embedded != null && runningFile != null && !announced) {
      announced = Running.write(runningFile, embedded.getPort()) != null;
    }
  }

  /** Whether this is the embedded default (no database URL), started here or by the running serve. */
  public boolean isEmbedded() {
    return embeddedDefault;
  }

  /** Safe to log: no password. */
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    if (announced) {
      try {
        Files.deleteIfExists(runningFile);
      } catch (IOException e) {
        log.warn("database: cannot remove {}: {}", runningFile, e.getMessage());
      }
    }
    pool.close();
    if (embedded != null) {
      closeQuietly(embedded);
    }
  }

  private static void closeQuietly(EmbeddedPostgres pg) {
    try {
      pg.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }
}
