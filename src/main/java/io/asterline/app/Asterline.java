package io.asterline.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.audiosocket.AudioSocketServer;
import io.asterline.db.Database;
import io.asterline.db.DatabaseHealth;
import io.asterline.db.Migrations;
import io.asterline.http.Auth;
import io.asterline.http.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.asterline.tenant.TenantRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service, wired by hand in dependency order: configuration, database, repositories,
 * services, then the servers that let calls in. Closing it stops them in reverse order.
 */
public final class Asterline implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Asterline.class);

  private final Lifecycle lifecycle;
  private final Database database;
  private final HttpServer http;
  private final AudioSocketServer audioSocket;

  private Asterline(Lifecycle lifecycle, Database database, HttpServer http, AudioSocketServer audioSocket) {
    this.lifecycle = lifecycle;
    this.database = database;
    this.http = http;
    this.audioSocket = audioSocket;
  }

  public static Asterline start(AsterlineConfig config) {
    Lifecycle lifecycle = new Lifecycle();
    try {
      ObjectMapper json = Json.mapper();
      Database database = lifecycle.register("database", Database.open(config.database()));
      Migrations.apply(database.dataSource());

      TenantRepository tenants = new TenantRepository(database.dsl());
      tenants.ensureDefaultTenant(config.tenants(), database.isEmbedded());

      PrometheusMeterRegistry metrics = Metrics.registry();

      HttpServer http = new HttpServer(config.http(), json)
          .health(new DatabaseHealth(database.dataSource(), database.describe()))
          .metrics(metrics)
          .auth(new Auth(config.http().adminToken(), tenants::activeTenantByTokenHash));
      lifecycle.register("http", http.start());

      // registered last so it stops first: calls in progress end through their fallback before anything else goes
      AudioSocketServer audioSocket = lifecycle.register("audiosocket",
          AudioSocketServer.start(config.audioSocket(), config.openai(), database.dsl(), json, metrics));

      log.info("asterline started");
      return new Asterline(lifecycle, database, http, audioSocket);
    } catch (RuntimeException e) {
      lifecycle.close();
      throw e;
    }
  }

  public Database database() {
    return database;
  }

  public int httpPort() {
    return http.port();
  }

  public int audioSocketPort() {
    return audioSocket.port();
  }

  @Override
  public void close() {
    log.info("asterline stopping");
    lifecycle.close();
  }
}
