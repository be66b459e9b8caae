package io.asterline.db;

import io.asterline.http.HealthCheck;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** The database is up when a pooled connection answers a query within the pool's timeout. */
public final class DatabaseHealth implements HealthCheck {

  private final DataSource dataSource;
  private final String description;

  public DatabaseHealth(DataSource dataSource, String description) {
    this.dataSource = dataSource;
    this.description = description;
  }

  @Override
  public String name() {
    return "database";
  }

  @Override
  public boolean critical() {
    return true;
  }

  @Override
  public Status check() {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.setQueryTimeout(2);
      s.execute("SELECT 1");
      return Status.up(description);
    } catch (SQLException e) {
      return Status.down("unreachable: " + e.getMessage());
    }
  }
}
