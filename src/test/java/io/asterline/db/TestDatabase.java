package io.asterline.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * A real PostgreSQL for tests: one embedded server per test JVM, and a fresh migrated database for each
 * caller, cloned from a template so it costs milliseconds.
 *
 * <pre>
 *   TestDatabase.Db db = TestDatabase.fresh();
 *   db.dsl().insertInto(TENANT)...;
 * </pre>
 */
public final class TestDatabase {

  /** One migrated database: its pool, a DSLContext on it, and its JDBC URL. */
  public record Db(String name, String jdbcUrl, HikariDataSource dataSource, DSLContext dsl) implements AutoCloseable {
    @Override
    public void close() {
      dataSource.close();
    }
  }

  private static EmbeddedPostgres server;
  private static String password;
  private static final String TEMPLATE = "asterline_template";

  private TestDatabase() {}

  /** The shared server (started on first use, stopped when the JVM exits). */
  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      String base = System.getProperty("asterline.test.pgdir", "target/test-postgres");
      Path parent = Path.of(base).toAbsolutePath();
      // each test JVM's server leaves ~2 GB after a whole suite (a database per test); the servers of JVMs that
      // are gone are removed first, so repeated runs do not fill the disk
      removeServersOfDeadJvms(parent);
      Path dir = parent.resolve("shared-" + ProcessHandle.current().pid());
      EmbeddedPostgres pg = Database.startEmbedded(dir, 0);
      execute(pg.getPostgresDatabase(), "CREATE DATABASE " + TEMPLATE + " TEMPLATE template0");
      Migrations.apply(pg.getDatabase("postgres", TEMPLATE));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          pg.close();
          deleteTree(dir);
        } catch (Exception ignored) {
          // the JVM is going away; a directory left behind is removed by the next run
        }
      }, "test-postgres-stop"));
      password = Database.embeddedPassword(dir);
      server = pg;
    }
    return server;
  }

  private static void removeServersOfDeadJvms(Path parent) {
    if (!Files.isDirectory(parent)) {
      return;
    }
    try (Stream<Path> dirs = Files.list(parent)) {
      for (Path d : dirs.toList()) {
        String name = d.getFileName().toString();
        if (!name.startsWith("shared-")) {
          continue;
        }
        try {
          long pid = Long.parseLong(name.substring("shared-".length()));
          if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            continue;
          }
        } catch (NumberFormatException e) {
          continue;
        }
        deleteTree(d);
      }
    } catch (IOException e) {
      // only tidying: the run goes on
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The shared server's password (the embedded PostgreSQL requires one). */
  public static synchronized String password() {
    server();
    return password;
  }

  /** A new, empty, fully migrated database. */
  public static Db fresh() {
    return fresh(10);
  }

  public static Db fresh(int poolSize) {
    EmbeddedPostgres pg = server();
    String name = "t_" + UUID.randomUUID().toString().replace("-", "");
    synchronized (TestDatabase.class) {
      // CREATE DATABASE ... TEMPLATE needs the template to have no other session
      execute(pg.getPostgresDatabase(), "CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
    }
    // with the password, so commands handed the URL alone (-Ddatabase.url=...) can connect
    String url = pg.getJdbcUrl("postgres", name) + "&password=" + password();
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("test-" + name.substring(0, 10));
    hc.setJdbcUrl(url);
    hc.setUsername("postgres");
    hc.setPassword(password());
    hc.setMaximumPoolSize(poolSize);
    hc.setMinimumIdle(0);
    HikariDataSource ds = new HikariDataSource(hc);
    return new Db(name, url, ds, DSL.using(ds, SQLDialect.POSTGRES));
  }

  private static void execute(DataSource ds, String sql) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }
}
