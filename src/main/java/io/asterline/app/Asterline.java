package io.asterline.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.admin.Admin;
import io.asterline.admission.Admission;
import io.asterline.agent.Agents;
import io.asterline.agi.AgiService;
import io.asterline.audiosocket.AudioSocket;
import io.asterline.audit.AuditLog;
import io.asterline.call.Calls;
import io.asterline.compliance.Compliance;
import io.asterline.console.Console;
import io.asterline.config.Json;
import io.asterline.db.Database;
import io.asterline.db.DatabaseHealth;
import io.asterline.db.Migrations;
import io.asterline.degraded.DegradedMode;
import io.asterline.did.Dids;
import io.asterline.feature.MediaFeature;
import io.asterline.http.Auth;
import io.asterline.http.HttpServer;
import io.asterline.lifecycle.Lifecycle;
import io.asterline.cost.Costs;
import io.asterline.mediaws.MediaWs;
import io.asterline.outbound.DidCallerIds;
import io.asterline.outbound.Outbound;
import io.asterline.recording.Recordings;
import io.asterline.report.Reports;
import io.asterline.secrets.SecretBox;
import io.asterline.twilio.TwilioConfig;
import io.asterline.tenant.TenantRepository;
import io.asterline.tenant.Tenants;
import io.asterline.twilio.TwilioInbound;
import io.asterline.twiliomedia.TwilioMedia;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running service, wired by hand in dependency order: configuration, database, repositories, then each feature
 * started by its one factory ({@code start(config, deps)}, returning a {@code feature.Feature}) and added through
 * {@link Features}: its routes and health checks to the HTTP server, its FastAGI scripts to the FastAGI server,
 * the feature itself to the lifecycle. Closing it stops them in reverse order.
 */
public final class Asterline implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Asterline.class);

  private final Lifecycle lifecycle;
  private final Database database;
  private final HttpServer http;
  private final AgiService agi;
  private final AudioSocket audioSocket;
  private final List<MediaFeature> media;
  private final ShutdownConfig shutdown;
  private final Admission admission;
  private Optional<String> newAdminToken;
  private boolean closed;

  private final MediaWs mediaWs;
  private final Optional<TwilioMedia> twilioMedia;

  private Asterline(Lifecycle lifecycle, Database database, HttpServer http, AgiService agi, AudioSocket audioSocket,
      MediaWs mediaWs, Optional<TwilioMedia> twilioMedia, Admission admission, ShutdownConfig shutdown,
      Optional<String> newAdminToken) {
    this.newAdminToken = newAdminToken;
    this.shutdown = shutdown;
    this.admission = admission;
    this.lifecycle = lifecycle;
    this.database = database;
    this.http = http;
    this.agi = agi;
    this.audioSocket = audioSocket;
    this.mediaWs = mediaWs;
    this.twilioMedia = twilioMedia;
    List<MediaFeature> all = new java.util.ArrayList<>(List.of(audioSocket, mediaWs));
    twilioMedia.ifPresent(all::add);
    this.media = List.copyOf(all);
  }

  public static Asterline start(AsterlineConfig config) {
    Lifecycle lifecycle = new Lifecycle();
    List<MediaFeature> unregistered = new java.util.ArrayList<>();
    try {
      ObjectMapper json = Json.mapper();
      Database database = lifecycle.register("database", Database.open(config.database()));
      Migrations.apply(database.dataSource());

      Tenants tenants = Tenants.start(config.tenants(), new SecretBox(config.secrets()),
          config.dids().defaultCountryCode(), database.dsl(), database.isEmbedded(), json);
      Admin admin = Admin.start(config.http(), database.dsl());
      // commands run beside this node may use its embedded PostgreSQL from now on: the schema and tenant are there
      database.announce();

      // before the parts that write to it, so it closes after them; writes left from the last run are replayed by
      // the FastAGI part's timer as soon as it starts
      DegradedMode degraded = lifecycle.register("journal",
          DegradedMode.open(config.database().dataDir(), config.agi().journalMaxBytes(), json));

      PrometheusMeterRegistry metrics = Metrics.registry();
      TenantRepository tenantRepository = tenants.repository();
      HttpServer http = new HttpServer(config.http(), json)
          .health(new DatabaseHealth(database.dataSource(), database.describe()))
          .metrics(metrics)
          .auth(new Auth(config.http().adminToken(), admin::isAdminTokenHash,
              tenantRepository::activeTenantByTokenHash, tenantRepository::disabledTenantByTokenHash));
      Features features = new Features(lifecycle, http);

      features.add(tenants);
      features.add(admin);
      Dids dids = features.add(Dids.start(config.dids(), database.dsl(), json, metrics));
      http.audit(features.add(AuditLog.start(database.dsl(), json)));
      Recordings recordings = features.add(Recordings.start(config.recordings(), config.storage(), config.openai(),
          database.dsl(), json, metrics));
      Reports reports = features.add(Reports.start(config.reports(), database.dsl()));
      features.add(Costs.start(config.costs(), database.dsl(), reports, json,
          config.twilio().defaultProvider() == TwilioConfig.Provider.ASTERISK ? 100 : 0));
      // the console's pages, and the calls' live view and stories it shows; the moments of each conversation are
      // written by the agent through calls.events(), added before the agent side so it closes after it
      Calls calls = features.add(Calls.start(database.dsl(), json, metrics));
      features.add(Console.start(id -> tenantRepository.find(id).map(t -> t.name())));

      // the conversation side every media transport hands its calls to: added before them, so it stops after them
      Agents agents = features.add(Agents.start(config.openai(), database.dsl(), tenants.apiKeys(), json, metrics,
          degraded)).recordEvents(calls.events()::forCall);
      // one slot store and one drain for calls in both directions
      Admission admission = new Admission(database.dsl(), config.admission());
      // Twilio beside Asterisk: a Twilio number's voice webhook and the control of Twilio calls after their agent,
      // admitting through the same slots; nothing unless Twilio is configured. Its streamControl() is what the
      // Media Streams transport reports to.
      TwilioInbound twilioInbound = features.add(TwilioInbound.start(config.twilio(), database.dsl(), admission,
          config.storage().recordingsDir(), recordings.queue(), json, config.dids().defaultCountryCode(),
          TwilioInbound.DB_DEADLINE));
      // the media transports are started before the parts that hand out their address (with port 0 only the
      // started server knows its port), added after them so that they still stop first; Asterisk 22's WebSocket
      // channel beside AudioSocket: the dialplan picks one per call (ASTERLINE_MEDIA)
      AudioSocket audioSocket = AudioSocket.start(config.audioSocket(), agents, metrics);
      unregistered.add(audioSocket);
      MediaWs mediaWs = MediaWs.start(config.mediaWs(), agents, json);
      unregistered.add(mediaWs);
      // Twilio Media Streams, when Twilio calls can run: a Twilio call's <Connect><Stream> reaches the same agent,
      // and the call control carries the call on once the agent is done
      Optional<TwilioMedia> twilioMedia = twilioInbound.streamControl().map(control -> TwilioMedia.start(
          config.twilio(), agents, database.dsl(), config.storage().recordingsDir(), control, json));
      twilioMedia.ifPresent(unregistered::add);
      // agi.audiosocket-address, else where this node's AudioSocket server really listens: the two never disagree
      String audioSocketAddress = config.agi().audioSocketAddress() != null ? config.agi().audioSocketAddress()
          : audioSocket.dialAddress();
      log.info("agent legs dial AudioSocket at {}, or the WebSocket channel's connection to {}", audioSocketAddress,
          mediaWs.dialAddress());

      // the do-not-call list and calling windows every outbound placement is held to
      Compliance compliance = features.add(Compliance.start(database.dsl(), json, config.dids().defaultCountryCode(),
          Clock.systemUTC()));
      features.add(Outbound.start(config.ami(), config.outbound().withAudioSocketAddress(audioSocketAddress),
          config.storage(), database.dsl(), json, new DidCallerIds(dids.service()), admission, compliance.service(),
          metrics, config.twilio(), recordings.queue()));


      // added after everything it hands calls to, so it stops taking calls before they go; it serves the FastAGI
      // scripts of the features added before it beside its own
      AgiService agi = features.add(AgiService.start(config.agi().withAudioSocketAddress(audioSocketAddress),
          admission, config.storage().recordingsDir(), database.dsl(), config.database().poolSize(),
          recordings.queue(), metrics, features.agiScripts(), degraded));

      // added last so it stops first: calls still in progress after the grace period end through their
      // fallback before anything else goes
      features.add(mediaWs);
      features.add(audioSocket);
      twilioMedia.ifPresent(features::add);
      unregistered.clear();

      Metrics.bindHealth(metrics, http.checks());
      lifecycle.register("http", http.start());

      log.info("asterline started");
      return new Asterline(lifecycle, database, http, agi, audioSocket, mediaWs, twilioMedia, admission,
          config.shutdown(),
          admin.newToken());
    } catch (RuntimeException e) {
      unregistered.forEach(MediaFeature::close);
      lifecycle.close();
      throw e;
    }
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

  /** The Twilio Media Streams port, when Twilio calls are configured. */
  public Optional<Integer> twilioMediaPort() {
    return twilioMedia.map(TwilioMedia::port);
  }

  /**
   * Stops gracefully: admission drains, so new calls are refused at once in both directions (inbound answers
   * OVER_CAPACITY, so the dialplan sends them to its fallback, and /health turns 503 so a balancer looks elsewhere;
   * outbound requests get 503), calls in progress go on
   * for up to the grace period, then every part stops in reverse order of start.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    admission.drain();
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

  /** Calls connected through any media feature right now. */
  private int activeCalls() {
    return media.stream().mapToInt(MediaFeature::activeCalls).sum();
  }
}
