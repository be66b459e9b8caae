package io.asterline.db;

import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the Flyway migrations shipped in the jar (sql/migrations, on the classpath as db/migration). */
public final class Migrations {

  private static final Logger log = LoggerFactory.getLogger(Migrations.class);

  private Migrations() {}

  /** Brings the schema up to date; a no-op when it already is. Returns how many migrations ran. */
  public static int apply(DataSource dataSource) {
    MigrateResult result = Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .failOnMissingLocations(true)
        .load()
        .migrate();
    if (result.migrationsExecuted > 0) {
      log.info("database: applied {} migration(s), schema now at version {}", result.migrationsExecuted,
          result.targetSchemaVersion);
    } else {
      log.info("database: schema up to date at version {}", result.initialSchemaVersion);
    }
    return result.migrationsExecuted;
  }
}
