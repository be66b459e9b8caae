package io.asterline.outbound;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.admission.Admission;
import io.asterline.call.CallQueries;
import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.call.CallRoutes;
import io.asterline.config.Settings;
import io.asterline.did.DidConfig;
import io.asterline.twilio.TwilioCallEnds;
import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioRest;
import io.asterline.twilio.TwilioWebhooks;
import io.asterline.compliance.ComplianceService;
import io.asterline.config.ConfigException;
import io.asterline.feature.Feature;
import io.asterline.http.HealthCheck;
import io.asterline.recording.StorageConfig;
import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.asteriskjava.fastagi.AgiScript;
import org.jooq.DSLContext;

/**
 * The outbound feature wired: AMI client, outbound service, its HTTP routes (outbound calls, calls, journeys)
 * and its AGI scripts. Closing it stops the service (waiting calls are failed and given back) and then AMI.
 */
public final class Outbound implements Feature {

  private final AmiClient ami;
  private final OutboundService service;
  private final OutboundCallRepository calls;
  private final OutboundRoutes outboundRoutes;
  private final JourneyRoutes journeyRoutes;
  private final CallRoutes callRoutes;
  private final JourneyScheduler scheduler;
  private final MeterRegistry metrics;
  /** null when Twilio is not configured */
  private final TwilioRest rest;
  private final TwilioCallbacks callbacks;

  /** How often journey calls held for their calling window are looked for. */
  static final Duration SCHEDULER_EVERY = Duration.ofSeconds(15);

  private Outbound(AmiClient ami, OutboundService service, OutboundCallRepository calls, OutboundRoutes outboundRoutes,
      JourneyRoutes journeyRoutes, CallRoutes callRoutes, JourneyScheduler scheduler, MeterRegistry metrics,
      TwilioRest rest, TwilioCallbacks callbacks) {
    this.rest = rest;
    this.callbacks = callbacks;
    this.metrics = metrics;
    this.scheduler = scheduler;
    this.ami = ami;
    this.service = service;
    this.calls = calls;
    this.outboundRoutes = outboundRoutes;
    this.journeyRoutes = journeyRoutes;
    this.callRoutes = callRoutes;
  }

  /** The same with the do-not-call list and calling windows read from {@code dsl} on the system clock. */
  public static Outbound start(AmiConfig amiConfig, OutboundConfig config, StorageConfig storage, DSLContext dsl,
      ObjectMapper json, CallerIdSelector callerIds, Admission admission, MeterRegistry metrics) {
    return start(amiConfig, config, storage, dsl, json, callerIds, admission, ComplianceService.create(dsl,
        Clock.systemUTC()), metrics);
  }

  /** @param compliance asked before every placement (do-not-call list, calling windows); its clock is "now" */
  public static Outbound start(AmiConfig amiConfig, OutboundConfig config, StorageConfig storage, DSLContext dsl,
      ObjectMapper json, CallerIdSelector callerIds, Admission admission, ComplianceService compliance,
      MeterRegistry metrics) {
    return start(amiConfig, config, storage, dsl, json, callerIds, admission, compliance, metrics,
        TwilioConfig.from(Settings.of(Map.of(), Map.of(), Map.of()), DidConfig.from(Settings.of(Map.of(), Map.of(),
            Map.of())).twilio()), CallEvents.NONE);
  }

  /**
   * @param twilio the second provider: calls a tenant's share sends to Twilio go through its REST API when it is
   *     enabled (else through Asterisk), and its status and AMD callbacks are served at /twilio/status and /twilio/amd
   * @param ended told of every Twilio call's end (the recording pipeline), as the FastAGI call-end tells of
   *     Asterisk's
   */
  public static Outbound start(AmiConfig amiConfig, OutboundConfig config, StorageConfig storage, DSLContext dsl,
      ObjectMapper json, CallerIdSelector callerIds, Admission admission, ComplianceService compliance,
      MeterRegistry metrics, TwilioConfig twilio, CallEvents ended) {
    Path recordings = storage.recordingsDir();
    if (recordings.toString().indexOf(',') >= 0) {
      // the recording path reaches the dialplan in an AMI Variable header, which Asterisk splits on commas
      throw new ConfigException(StorageConfig.RECORDINGS_DIR.name() + ": must not contain a comma (outbound calls "
          + "hand it to Asterisk in an AMI variable), got " + recordings);
    }
    OutboundCallRepository calls = new OutboundCallRepository(dsl);
    AmiClient ami = new AmiClient(amiConfig);
    TwilioRest rest = twilio.enabled() ? new TwilioRest(twilio.account(), json) : null;
    TwilioDialer dialer = rest == null ? null : new TwilioDialer(twilio, rest, config.originateTimeout());
    OutboundService service = new OutboundService(config, recordings, ami, callerIds, admission, calls, compliance,
        metrics, twilio, dialer);
    ami.start(service);
    TwilioCallbacks callbacks = dialer == null ? null : new TwilioCallbacks(new TwilioWebhooks(twilio),
        new CallRepository(dsl), calls, new TwilioCallEnds(new CallRepository(dsl), ended), admission, dialer,
        service::countEnded);
    JourneyRepository journeys = new JourneyRepository(dsl);
    JourneyValidation validation = new JourneyValidation(service, json);
    return new Outbound(ami, service, calls,
        new OutboundRoutes(service, config.acceptWait(), json),
        new JourneyRoutes(journeys, validation, new JourneyService(journeys, service, validation, config.acceptWait()),
            json),
        new CallRoutes(new CallQueries(dsl)),
        new JourneyScheduler(journeys, service, validation, SCHEDULER_EVERY), metrics, rest, callbacks);
  }

  @Override
  public String name() {
    return "outbound";
  }

  /** The AMI part of /health (not critical: inbound calls do not need it). */
  public HealthCheck health() {
    return ami.health();
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(health());
  }

  @Override
  public Consumer<Javalin> routes() {
    return this::routes;
  }

  /** POST /api/outbound/call, GET /api/calls[/{id}], /api/journeys..., Twilio's POST /twilio/status and /twilio/amd */
  public void routes(Javalin app) {
    outboundRoutes.register(app);
    if (callbacks != null) {
      callbacks.register(app);
    }
    journeyRoutes.register(app);
    callRoutes.register(app);
  }

  /** The FastAGI scripts the outbound dialplan calls, by URL path, for the FastAGI server's mapping. */
  @Override
  public Map<String, AgiScript> agiScripts() {
    return Map.of(
        OutboundAnsweredScript.NAME, new OutboundAnsweredScript(calls, metrics),
        OutboundFailedScript.NAME, new OutboundFailedScript(service, metrics));
  }

  public OutboundService service() {
    return service;
  }

  /**
   * Places the journey calls whose calling window has opened now, as the poller does every
   * {@link #SCHEDULER_EVERY}; returns how many were due.
   */
  public int placeDueJourneyCalls() {
    return scheduler.pollNow();
  }

  @Override
  public void close() {
    scheduler.close();
    try {
      service.close();
    } finally {
      ami.close();
      if (rest != null) {
        rest.close();
      }
    }
  }

}
