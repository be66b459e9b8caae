package io.asterline.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * A JVM running the embedded PostgreSQL until it is killed, for tests of what a crash leaves behind:
 * {@code EmbeddedChild <dir>} starts it in {@code dir}, writes one row and prints {@code READY <port>}.
 */
public final class EmbeddedChild {

  private EmbeddedChild() {}

  public static void main(String[] args) throws Exception {
    EmbeddedPostgres pg = Database.startEmbedded(Path.of(args[0]), 0);
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS survivor (note text NOT NULL)");
      s.execute("INSERT INTO survivor VALUES ('written before the crash')");
    }
    System.out.println("READY " + pg.getPort());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
