package io.asterline.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agi.AgiService;
import io.asterline.agent.Agents;
import io.asterline.audiosocket.AudioSocketServer;
import io.asterline.mediaws.MediaWsServer;
import io.asterline.db.Database;
import io.asterline.db.DatabaseHealth;
import io.asterline.db.Migrations;
import io.asterline.audit.AuditLog;
import io.asterline.degraded.DegradedMode;
import io.asterline.did.DidRoutes;
import io.asterline.doctor.PingScript;
import io.asterline.did.DidService;
import io.asterline.http.AdminTokenRepository;
import io.asterline.http.Auth;
import io.asterline.http.HttpServer;
import io.asterline.outbound.DidCallerIds;
import io.asterline.outbound.Outbound;
import io.asterline.outbound.SlotAdmission;
import io.asterline.recording.RecordingQueue;
import io.asterline.recording.Recordings;
import io.asterline.report.Reports;
import io.asterline.secrets.SecretBox;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.asterline.tenant.TenantApiKeys;
import io.asterline.tenant.TenantRepository;
import io.asterline.tenant.TenantRoutes;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.asteriskjava.fastagi.AgiScript;
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
  private final AgiService agi;
  private final AudioSocketServer audioSocket;
  private final MediaWsServer mediaWs;
  private final ShutdownConfig shutdown;
  private final Outbound outbound;
  private Optional<String> newAdminToken;
  private boolean closed;

  private Asterline(Lifecycle lifecycle, Database database, HttpServer http, AgiService agi,
      AudioSocketServer audioSocket, MediaWsServer mediaWs, Outbound outbound, ShutdownConfig shutdown,
      Optional<String> newAdminToken) {
    this.newAdminToken = newAdminToken;
    this.shutdown = shutdown;
    this.outbound = outbound;
    this.lifecycle = lifecycle;
    this.database = database;
    this.http = http;
    this.agi = agi;
    this.audioSocket = audioSocket;
    this.mediaWs = mediaWs;
  }

  public static Asterline start(AsterlineConfig config) {
    Lifecycle lifecycle = new Lifecycle();
    AudioSocketServer unregistered = null;
    try {
      ObjectMapper json = Json.mapper();
      Database database = lifecycle.register("database", Database.open(config.database()));
      Migrations.apply(database.dataSource());

      TenantRepository tenants = new TenantRepository(database.dsl());
      tenants.ensureDefaultTenant(config.tenants(), database.isEmbedded());
      TenantApiKeys apiKeys = new TenantApiKeys(database.dsl(), new SecretBox(config.secrets()));
      apiKeys.encryptPlainText();
      // without admin.token nothing could use /api: the first start on this database makes a token (only its
      // hash is kept), which the serve command shows once
      AdminTokenRepository adminTokens = new AdminTokenRepository(database.dsl());
      Optional<String> newAdminToken = config.http().adminToken().isPresent() ? Optional.empty()
          : adminTokens.createIfAbsent();
      // commands run beside this node may use its embedded PostgreSQL from now on: the schema and tenant are there
      database.announce();
      if (config.http().adminToken().isEmpty() && newAdminToken.isEmpty()) {
        log.info("http: /api takes the admin token generated on the first start on this database; a lost one is"
            + " replaced by 'asterline token admin --rotate'");
      }

      // before the parts that write to it, so it closes after them; writes left from the last run are replayed by
      // the FastAGI part's timer as soon as it starts
      DegradedMode degraded = lifecycle.register("journal",
          DegradedMode.open(config.database().dataDir(), config.agi().journalMaxBytes(), json));

      PrometheusMeterRegistry metrics = Metrics.registry();
      DidService dids = DidService.create(database.dsl(), json, config.dids(), metrics);

      HttpServer http = new HttpServer(config.http(), json)
          .health(new DatabaseHealth(database.dataSource(), database.describe()))
          .metrics(metrics)
          .auth(new Auth(config.http().adminToken(), adminTokens::isAdminTokenHash, tenants::activeTenantByTokenHash,
              tenants::disabledTenantByTokenHash))
          .routes(TenantRoutes.of(tenants, json, config.dids().defaultCountryCode(), apiKeys))
          .routes(DidRoutes.of(dids, json));
      AuditLog audit = new AuditLog(database.dsl(), json);
      http.audit(audit).routes(audit.routes());

      // the CallEvents the FastAGI call-end script reports ended calls to (it enqueues their recordings)
      RecordingQueue recordingQueue = Recordings.start(config.recordings(), config.storage(), config.openai(),
          database.dsl(), json, metrics, http, lifecycle);
      Reports.routes(config.reports(), database.dsl(), http);

      // the conversation side every transport hands its calls to: registered before them, so it stops after them
      Agents agents = lifecycle.register("agents",
          Agents.start(config.openai(), database.dsl(), apiKeys, json, metrics, degraded));
      // started before the parts that hand out its address (with audiosocket.port 0 only the started server
      // knows its port), registered after them so that it still stops first
      AudioSocketServer audioSocket = unregistered = AudioSocketServer.start(config.audioSocket(), agents, metrics);
      // agi.audiosocket-address, else where this node's AudioSocket server really listens: the two never disagree
      String audioSocketAddress = config.agi().audioSocketAddress() != null ? config.agi().audioSocketAddress()
          : config.audioSocket().dialAddress(audioSocket.port());
      log.info("agent legs dial AudioSocket at {}", audioSocketAddress);

      Outbound outbound = lifecycle.register("outbound",
          Outbound.start(config.ami(), config.outbound().withAudioSocketAddress(audioSocketAddress),
              config.storage(), database.dsl(), json, new DidCallerIds(dids),
              new SlotAdmission(database.dsl(), config.agi().maxCalls(), config.agi().maxCallDuration()), metrics));
      http.health(outbound.health()).routes(outbound::routes);

      // registered after everything it hands calls to, so it stops taking calls before they go
      AgiService agi = lifecycle.register("agi", AgiService.start(
          config.agi().withAudioSocketAddress(audioSocketAddress), config.storage().recordingsDir(), database.dsl(),
          config.database().poolSize(), recordingQueue, metrics, otherScripts(outbound, database), degraded));
      http.health(agi.health());

      // Asterisk 22's WebSocket channel beside AudioSocket: the dialplan picks one per call (ASTERLINE_MEDIA)
      MediaWsServer mediaWs = lifecycle.register("mediaws", MediaWsServer.start(config.mediaWs(), agents, json));
      // registered last so it stops first: calls still in progress after the grace period end through their
      // fallback before anything else goes
      lifecycle.register("audiosocket", audioSocket);
      unregistered = null;
      http.health(audioSocket.health()).health(mediaWs.health()).health(agents.realtimeHealth());

      Metrics.bindHealth(metrics, http.checks());
      lifecycle.register("http", http.start());

      log.info("asterline started");
      return new Asterline(lifecycle, database, http, agi, audioSocket, mediaWs, outbound, config.shutdown(),
          newAdminToken);
    } catch (RuntimeException e) {
      if (unregistered != null) {
        unregistered.close();
      }
      lifecycle.close();
      throw e;
    }
  }

  /** The FastAGI scripts of other features, served beside agi's own. */
  private static Map<String, AgiScript> otherScripts(Outbound outbound, Database database) {
    Map<String, AgiScript> scripts = new HashMap<>(outbound.agiScripts());
    scripts.put(PingScript.NAME, new PingScript(database.dsl()));
    return scripts;
  }

  /**
   * The admin token this start generated (the first start on a database without {@code admin.token}), handed
   * out once: later calls answer empty, so it is shown once and not kept.
   */
  public synchronized Optional<String> takeNewAdminToken() {
    Optional<String> token = newAdminToken;
    newAdminToken = Optional.empty();
    return token;
  }

  public String httpHost() {
    return http.host();
  }

  public Database database() {
    return database;
  }

  public int httpPort() {
    return http.port();
  }

  public int agiPort() {
    return agi.port();
  }

  public AgiService agi() {
    return agi;
  }

  public int audioSocketPort() {
    return audioSocket.port();
  }

  public int mediaWsPort() {
    return mediaWs.port();
  }

  /** Calls talking to the agent on this node, over either transport. */
  private int activeCalls() {
    return audioSocket.activeCalls() + mediaWs.activeCalls();
  }

  /**
   * Stops gracefully: new inbound calls are refused at once (inbound answers OVER_CAPACITY, so the dialplan
   * sends them to its fallback, and /health turns 503 so a balancer looks elsewhere), calls in progress go on
   * for up to the grace period, then every part stops in reverse order of start.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    agi.admission().drain();
    outbound.service().drain();
    int active = activeCalls();
    log.info("asterline stopping: no new calls; {} call(s) in progress get up to {} s", active,
        shutdown.gracePeriod().toSeconds());
    long deadline = System.nanoTime() + shutdown.gracePeriod().toNanos();
    try {
      while (activeCalls() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (activeCalls() > 0) {
      log.warn("grace period over: ending {} call(s) through their fallback", activeCalls());
    }
    lifecycle.close();
  }
}
