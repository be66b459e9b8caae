package io.asterline.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

  private final HikariDataSource pool;
  private final EmbeddedPostgres embedded;
  private final String description;
  private final DSLContext dsl;

  private Database(HikariDataSource pool, EmbeddedPostgres embedded, String description) {
    this.pool = pool;
    this.embedded = embedded;
    this.description = description;
    this.dsl = DSL.using(pool, SQLDialect.POSTGRES);
  }

  public static Database open(DatabaseConfig config) {
    if (config.url().isPresent()) {
      DatabaseUrl url = config.url().get();
      log.info("database: PostgreSQL at {}", url.describe());
      return new Database(pool(config, url.jdbcUrl(), url.user(), url.password()), null, url.describe());
    }
    Path dir = config.dataDir().toAbsolutePath().normalize().resolve("postgres");
    EmbeddedPostgres pg = startEmbedded(dir, config.embeddedPort());
    String jdbc = pg.getJdbcUrl(EmbeddedAuth.SUPERUSER, "postgres");
    log.info("database: embedded PostgreSQL, data in {}, listening on 127.0.0.1:{}", dir, pg.getPort());
    try {
      return new Database(pool(config, jdbc, EmbeddedAuth.SUPERUSER, embeddedPassword(dir)), pg,
          "embedded PostgreSQL (" + dir + ")");
    } catch (RuntimeException e) {
      closeQuietly(pg);
      throw e;
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
      return builder.start();
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

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** Safe to log: no password. */
  public String describe() {
    return description;
  }

  @Override
  public void close() {
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
