package io.asterline.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded PostgreSQL lets in only who has its password: not any local account that can reach
 * 127.0.0.1. A data directory created by an older version, which trusted everyone, is upgraded in place.
 */
class EmbeddedAuthTest {

  @TempDir
  Path dir;

  @Test
  void aNewDataDirectoryRequiresTheGeneratedPasswordKeptForTheServiceUserOnly() throws Exception {
    Path pgDir = dir.resolve("postgres");
    try (EmbeddedPostgres pg = Database.startEmbedded(pgDir, 0)) {
      String password = Database.embeddedPassword(pgDir);
      assertThat(password).hasSizeGreaterThanOrEqualTo(40);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pgDir.resolve("password"))))
          .isEqualTo("rw-------");

      assertRefused(pg.getPort(), null);
      assertRefused(pg.getPort(), "not-the-password");
      try (Connection c = connect(pg.getPort(), password); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT DISTINCT auth_method FROM pg_hba_file_rules")) {
        List<String> methods = new ArrayList<>();
        while (rs.next()) {
          methods.add(rs.getString(1));
        }
        assertThat(methods).containsExactly("scram-sha-256");
      }
    }
  }

  @Test
  void aTrustDataDirectoryFromAnOlderVersionIsUpgradedKeepingItsData() throws Exception {
    Path pgDir = dir.resolve("postgres");
    // what earlier versions started: zonky's initdb defaults, trusting every local connection
    try (EmbeddedPostgres old = EmbeddedPostgres.builder()
        .setDataDirectory(pgDir.resolve("data"))
        .setOverrideWorkingDirectory(pgDir.resolve("dist").toFile())
        .setCleanDataDirectory(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .start();
        Connection c = connect(old.getPort(), null); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (note text)");
      s.execute("INSERT INTO kept VALUES ('from the trust days')");
    }
    assertThat(pgDir.resolve("password")).doesNotExist();

    DatabaseConfig config = new DatabaseConfig(Optional.empty(), 2, Duration.ofSeconds(2), dir, 0);
    try (Database db = Database.open(config)) {
      assertThat(db.dsl().fetchValue("SELECT note FROM kept")).isEqualTo("from the trust days");
      int port = Integer.parseInt(String.valueOf(db.dsl().fetchValue("SELECT current_setting('port')")));
      assertRefused(port, null);
      assertThat(Files.readString(pgDir.resolve("data/pg_hba.conf"))).doesNotContain("trust");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(pgDir.resolve("password"))))
          .isEqualTo("rw-------");
    }

    // and the next start uses the stored password as it is
    try (Database again = Database.open(config)) {
      assertThat(again.dsl().fetchValue("SELECT note FROM kept")).isEqualTo("from the trust days");
    }
  }

  private static void assertRefused(int port, String password) {
    assertThatThrownBy(() -> connect(port, password).close())
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("28P01", "08004"));
  }

  private static Connection connect(int port, String password) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    if (password != null) {
      props.setProperty("password", password);
    }
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", props);
  }
}
