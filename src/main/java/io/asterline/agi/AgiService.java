package io.asterline.agi;

import io.asterline.admission.Admission;
import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.degraded.DegradedMode;
import io.asterline.degraded.Journal;
import io.asterline.degraded.LocalCalls;
import io.asterline.degraded.TenantSettingsRepository;
import io.asterline.feature.Feature;
import io.asterline.http.HealthCheck;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.asteriskjava.fastagi.AgiScript;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FastAGI feature, started and stopped as one part: the server and its four scripts, the database
 * deadline pool, the last-known-good DID map and tenant settings, the writes held during a database outage (in
 * the node's journal), and the timer that refreshes the map, writes what is held and reclaims forgotten slots.
 */
public final class AgiService implements Feature {

  private static final Logger log = LoggerFactory.getLogger(AgiService.class);
  private static final Duration FLUSH_EVERY = Duration.ofSeconds(1);
  private static final Duration RECLAIM_EVERY = Duration.ofMinutes(1);
  /**
   * Requests per database batch. Small enough that one batch is a few milliseconds of database work (so the
   * requests behind it keep well within the deadline), large enough to carry a burst of hundreds of calls.
   */
  private static final int BATCH_MAX = 64;

  private final AgiRepository repository;
  private final DbDeadline db;
  private final DbBatch<AgiRepository.InboundAsk, AgiRepository.Admitted> admissions;
  private final DbBatch<CallRepository.EndAsk, java.util.Optional<CallRepository.Ended>> ends;
  private final DidCache didCache;
  private final PendingWrites pending;
  private final Journal journal;
  private final LocalCalls localCalls;
  private final TenantSettingsRepository tenants;
  private final Admission admission;
  private final CallEvents events;
  private final ScheduledExecutorService maintenance;
  private final FastAgiServer server;

  private AgiService(AgiConfig config, Admission admission, Path recordingsDir, DSLContext dsl, int dbThreads,
      CallEvents events, MeterRegistry metrics, Map<String, AgiScript> otherScripts, DegradedMode degraded) {
    this.repository = new AgiRepository(dsl);
    this.events = events;
    // a queue deep enough for every AGI thread: under load requests wait their turn (within the deadline)
    // instead of being answered DEGRADED while the database is fine
    this.db = new DbDeadline(config.dbDeadline(), dbThreads, Math.max(64, config.poolSize()));
    this.didCache = new DidCache();
    this.pending = new PendingWrites(degraded.journal(), repository.calls(), events);
    this.localCalls = degraded.calls();
    this.journal = degraded.journal();
    this.tenants = new TenantSettingsRepository(dsl);
    this.admission = admission;
    this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "agi-maintenance");
      t.setDaemon(true);
      return t;
    });
    // the requests waiting at one moment go to the database together (see DbBatch); the queue holds every AGI
    // thread's request, each still bounded by agi.db-deadline
    int queue = Math.max(64, config.poolSize());
    this.admissions = new DbBatch<>("inbound", BATCH_MAX, queue, config.dbBatchLinger(), db,
        asks -> repository.admitInboundBatch(asks, admission.maxCalls(), admission.holdSeconds()));
    this.ends = new DbBatch<>("call-end", BATCH_MAX, queue, config.dbBatchLinger(), db, repository.calls()::ended);
    refreshDidCache();
    Map<String, AgiScript> scripts = new HashMap<>(otherScripts);
    scripts.putAll(Map.of(
        "inbound", new InboundScript(repository, admission, admissions, db, didCache, pending, localCalls,
            config.audioSocketAddress(), recordingsDir, config.defaultCountryCode(), metrics),
        "call-end", new CallEndScript(ends, pending, localCalls, events, metrics),
        "after-agent", new AfterAgentScript(repository, db, localCalls, recordingsDir, metrics),
        "voicemail-done", new VoicemailDoneScript(repository, db, events, pending, metrics),
        PingScript.NAME, new PingScript(dsl, metrics),
        ConsentAnnouncedScript.NAME, new ConsentAnnouncedScript(repository.calls(), db, pending, metrics)));
    FastAgiServer started;
    try {
      started = new FastAgiServer(config.bind(), config.port(), config.poolSize(),
          new FastAgiServer.Limits(config.allow(), config.readTimeout(), config.requestTimeout(),
              config.maxConnectionsPerSource(), FastAgiServer.MAX_LINE),
          scripts, new UnknownScript(metrics));
    } catch (RuntimeException e) {
      maintenance.shutdownNow();
      admissions.close();
      ends.close();
      db.close();
      throw e;
    }
    this.server = started;
    Gauge.builder("asterline.agi.pending.writes", pending, PendingWrites::size)
        .description("call writes (rows, agent outcomes, ends) held in the journal while the database is unreachable")
        .register(metrics);
    Gauge.builder("asterline.agi.journal.bytes", degraded.journal(), Journal::bytes)
        .description("size of the journal on disk; past agi.journal-max-bytes inbound answers ERROR, not DEGRADED")
        .register(metrics);
    Gauge.builder("asterline.agi.known.dids", didCache, DidCache::size)
        .description("numbers in the last-known-good DID map").register(metrics);
    long refresh = config.didCacheRefresh().toMillis();
    maintenance.scheduleWithFixedDelay(this::refreshDidCache, refresh, refresh, TimeUnit.MILLISECONDS);
    // at once: a journal left by the last run of this node is written as soon as the database takes it
    maintenance.scheduleWithFixedDelay(this::flushPending, 0, FLUSH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    maintenance.scheduleWithFixedDelay(this::reclaim, RECLAIM_EVERY.toMillis(), RECLAIM_EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Starts the FastAGI server; inbound admits through {@code admission} (shared with outbound calls, and drained
   * with them). {@code dbThreads} bounds how many AGI requests use the database at once
   * (the connection pool size is the natural value). {@code otherScripts} are other features' scripts
   * (outbound's), served beside the five of this package.
   */
  public static AgiService start(AgiConfig config, Admission admission, Path recordingsDir, DSLContext dsl,
      int dbThreads, CallEvents events, MeterRegistry metrics, Map<String, AgiScript> otherScripts,
      DegradedMode degraded) {
    return new AgiService(config, admission, recordingsDir, dsl, dbThreads, events, metrics, otherScripts, degraded);
  }

  public int port() {
    return server.port();
  }

  /** The admission this server's inbound script admits through (drain it to stop taking calls). */
  public Admission admission() {
    return admission;
  }

  @Override
  public String name() {
    return "agi";
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(health());
  }

  public HealthCheck health() {
    return new HealthCheck() {
      @Override
      public String name() {
        return "agi";
      }

      @Override
      public boolean critical() {
        return true;
      }

      @Override
      public Status check() {
        if (!server.listening()) {
          return Status.down("FastAGI is not listening");
        }
        if (admission.draining()) {
          return new Status(State.STOPPING, "draining: new calls go to the dialplan's fallback");
        }
        String known = didCache.loadedAt().map(at -> didCache.size() + " known numbers as of " + at)
            .orElse("DID map not loaded yet");
        if (db.degraded() || pending.size() > 0) {
          return new Status(State.DEGRADED, "database unavailable: answering from memory (" + known + "), "
              + pending.size() + " writes pending in the journal (" + journal.bytes() + " of " + journal.maxBytes()
              + " bytes)");
        }
        return Status.up("listening on " + server.address() + ", " + server.activeRequests() + " requests in flight, "
            + server.refusedConnections() + " connections refused, " + known);
      }
    };
  }

  // package-private for tests: run the timer's work now
  void refreshDidCache() {
    try {
      // no AGI request waits on this, so no deadline: a large table may take longer than one request may
      didCache.replaceAll(repository.routableDids(), Instant.now());
      // with the map: a DEGRADED call's agent leg and after-agent need its tenant's settings as much as its number
      localCalls.replaceTenants(tenants.activeTenants(), Instant.now());
    } catch (RuntimeException e) {
      log.warn("agi: could not refresh the DID map and tenant settings ({}); keeping the last ones ({} numbers)",
          e.getMessage(), didCache.size());
    }
  }

  int flushPending() {
    try {
      return pending.size() == 0 ? 0 : pending.flush();
    } catch (RuntimeException e) {
      log.error("agi: writing pending rows failed", e);
      return 0;
    }
  }

  int reclaim() {
    localCalls.expire(Instant.now(), admission.config().maxCallDuration());
    try {
      return admission.reclaim();
    } catch (RuntimeException e) {
      log.warn("agi: slot reclaim failed: {}", e.getMessage());
      return 0;
    }
  }

  int pendingWrites() {
    return pending.size();
  }

  @Override
  public void close() {
    server.close();
    maintenance.shutdownNow();
    try {
      maintenance.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (pending.size() > 0) {
      // last chance: the database is usually back by the time anyone stops the service
      int written = flushPending();
      if (pending.size() > 0) {
        log.warn("agi: stopping with {} writes still pending (wrote {}); they stay in the journal and are written "
            + "when this node starts again", pending.size(), written);
      }
    }
    admissions.close();
    ends.close();
    db.close();
  }
}
