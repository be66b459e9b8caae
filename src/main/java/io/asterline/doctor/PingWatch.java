package io.asterline.doctor;

import io.asterline.agi.PingScript;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** The doctor's side of {@link PingScript}: listens on its NOTIFY channel for the tokens that came back. */
final class PingWatch implements AutoCloseable {

  private final Connection connection;
  private final PGConnection pg;
  private final Set<String> heard = new HashSet<>();

  PingWatch(DataSource dataSource) throws SQLException {
    this.connection = dataSource.getConnection();
    try (Statement s = connection.createStatement()) {
      s.execute("LISTEN " + PingScript.CHANNEL);
    } catch (SQLException e) {
      connection.close();
      throw e;
    }
    this.pg = connection.unwrap(PGConnection.class);
  }

  /** Whether some node announced {@code token} within {@code wait} (or already had). */
  boolean await(String token, Duration wait) throws SQLException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!heard.contains(token)) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        return false;
      }
      PGNotification[] got = pg.getNotifications((int) Math.max(1, Math.min(left, Integer.MAX_VALUE)));
      if (got != null) {
        for (PGNotification n : got) {
          heard.add(n.getParameter());
        }
      }
    }
    return true;
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
