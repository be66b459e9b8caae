package io.asterline.doctor;

import static io.asterline.db.generated.Tables.DID;
import static org.jooq.impl.DSL.count;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.app.AsterlineConfig;
import io.asterline.db.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.jooq.Record2;

/**
 * Checks a deployment from Asterline's side, in the order a call needs it: the database, then Asterisk over AMI
 * (login, modules, dialplan contexts, trunks, and whether the FastAGI and AudioSocket addresses the dialplan dials
 * reach an Asterline node), then the services a call talks to (Realtime, S3, Twilio). Each finding goes to
 * {@code out} as soon as it is known.
 */
public final class Doctor {

  private final AsterlineConfig config;
  private final ObjectMapper json;
  private final Duration timeout;
  private final Duration pingWait;

  public Doctor(AsterlineConfig config, ObjectMapper json, Duration timeout, Duration pingWait) {
    this.config = config;
    this.json = json;
    this.timeout = timeout;
    this.pingWait = pingWait;
  }

  /** True when nothing failed. */
  public boolean run(Consumer<Finding> out) {
    boolean[] failed = {false};
    Consumer<Finding> report = f -> {
      failed[0] |= f.failed();
      out.accept(f);
    };
    Database database = openDatabase(report);
    try {
      Optional<Map<String, Integer>> trunks = Optional.empty();
      PingWatch watch = null;
      if (database != null) {
        trunks = trunks(database);
        try {
          watch = new PingWatch(database.dataSource());
        } catch (SQLException e) {
          // reported by the FastAGI check, which then cannot hear the ping
        }
      }
      String audioSocket = config.agi().audioSocketAddress() != null ? config.agi().audioSocketAddress()
          : config.audioSocket().port() == 0 ? null : config.audioSocket().dialAddress(config.audioSocket().port());
      try {
        new AsteriskChecks(config.ami(), pingWait).run(trunks, Optional.ofNullable(watch), audioSocket)
            .forEach(report);
      } finally {
        closeQuietly(watch);
      }
    } finally {
      if (database != null) {
        database.close();
      }
    }
    report.accept(new RealtimeCheck(config.openai(), json, timeout).run());
    report.accept(new S3Check(config.storage(), timeout).run());
    report.accept(new TwilioCheck(config.dids().twilio(), json, timeout).run());
    report.accept(new TwilioCallsCheck(config.twilio()).run());
    return !failed[0];
  }

  /** The database when it answers with a current schema, else null (the finding says why). */
  private Database openDatabase(Consumer<Finding> report) {
    Database database;
    try {
      database = Database.open(config.database());
    } catch (IllegalStateException e) {
      report.accept(Finding.skip("database", e.getMessage() + ": the embedded PostgreSQL belongs to the running "
          + "node; set database.url (DATABASE_URL) to a PostgreSQL every node shares to let doctor check it beside "
          + "a running node"));
      return null;
    } catch (RuntimeException e) {
      report.accept(Finding.fail("database", "cannot start the embedded PostgreSQL: " + e.getMessage()));
      return null;
    }
    String where = database.describe();
    try (Connection c = database.dataSource().getConnection()) {
      c.isValid(1);
    } catch (SQLException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      report.accept(Finding.fail("database", "cannot connect to " + where + ": " + cause.getMessage() + "; check "
          + "database.url, database.user and database.password (DATABASE_URL, DATABASE_USER, DATABASE_PASSWORD)"));
      database.close();
      return null;
    }
    try {
      MigrationInfoService info = Flyway.configure()
          .dataSource(database.dataSource())
          .locations("classpath:db/migration")
          .load()
          .info();
      MigrationInfo[] pending = info.pending();
      MigrationInfo current = info.current();
      String version = current == null ? "empty" : "version " + current.getVersion();
      if (pending.length > 0) {
        report.accept(Finding.fail("database", where + " is at " + version + ", " + pending.length + " migration(s) "
            + "behind this release: run asterline migrate (serve also applies them at start)"));
        return database;
      }
      report.accept(Finding.ok("database", "connected to " + where + ", schema current at " + version));
    } catch (FlywayException e) {
      report.accept(Finding.fail("database", "cannot read the schema history of " + where + ": " + e.getMessage()));
    }
    return database;
  }

  /** PJSIP endpoint -> DIDs naming it; empty when the database cannot say. */
  private static Optional<Map<String, Integer>> trunks(Database database) {
    try {
      Map<String, Integer> trunks = new LinkedHashMap<>();
      for (Record2<String, Integer> r : database.dsl()
          .select(DID.TRUNK, count())
          .from(DID)
          .groupBy(DID.TRUNK)
          .orderBy(DID.TRUNK)
          .fetch()) {
        trunks.put(r.value1(), r.value2());
      }
      return Optional.of(trunks);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static void closeQuietly(PingWatch watch) {
    if (watch != null) {
      try {
        watch.close();
      } catch (SQLException ignored) {
        // the pool closes it anyway
      }
    }
  }
}
