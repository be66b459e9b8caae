package io.asterline.twilio;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.admission.Admission;
import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.feature.Feature;
import io.javalin.Javalin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Inbound calls through Twilio and the control of every Twilio call after its agent: the webhooks a Twilio number
 * and Asterline's own TwiML point at ({@code /twilio/voice}, {@code /twilio/agent-done}, {@code /twilio/dial-done},
 * {@code /twilio/voicemail-done}, {@code /twilio/voice-status}, each behind {@link TwilioWebhooks}), and the {@link StreamControl} the Media
 * Streams transport reports to. Nothing at all unless Twilio is configured ({@link TwilioConfig#enabled()}).
 */
public final class TwilioInbound implements Feature {

  private static final Logger log = LoggerFactory.getLogger(TwilioInbound.class);
  /** Twilio waits 15 s for a webhook's answer; the database gets a third of that before the fallback answers. */
  public static final Duration DB_DEADLINE = Duration.ofSeconds(5);
  /** A status callback's end waits this long for the Dial's, Record's or stream's own report of the same end. */
  static final Duration STATUS_GRACE = Duration.ofSeconds(10);

  private final TwilioRest rest;
  private final TwilioDb db;
  private final TwilioCallControl control;
  private final Consumer<Javalin> routes;

  private TwilioInbound(TwilioRest rest, TwilioDb db, TwilioCallControl control, Consumer<Javalin> routes) {
    this.rest = rest;
    this.db = db;
    this.control = control;
    this.routes = routes;
  }

  /**
   * Starts the routes and the call control when Twilio is configured, else a feature that does nothing.
   * {@code events}: the same listeners as Asterisk's call-end and voicemail-done (the recording jobs).
   */
  public static TwilioInbound start(TwilioConfig config, DSLContext dsl, Admission admission, Path recordingsDir,
      CallEvents events, ObjectMapper json, String defaultCountryCode, Duration dbDeadline) {
    return start(config, dsl, admission, recordingsDir, events, json, defaultCountryCode, dbDeadline, STATUS_GRACE);
  }

  /** {@code statusGrace}: how long a status callback's end waits for the reports that say more (tests shorten it). */
  static TwilioInbound start(TwilioConfig config, DSLContext dsl, Admission admission, Path recordingsDir,
      CallEvents events, ObjectMapper json, String defaultCountryCode, Duration dbDeadline, Duration statusGrace) {
    if (!config.enabled()) {
      return new TwilioInbound(null, null, null, app -> { });
    }
    TwilioRest rest = new TwilioRest(config.account(), json);
    TwilioDb db = new TwilioDb(dbDeadline, 8);
    TwilioInboundRepository repository = new TwilioInboundRepository(dsl);
    TwilioWebhooks webhooks = new TwilioWebhooks(config);
    TwilioAnswers answers = new TwilioAnswers(config);
    TwilioCallControl control = new TwilioCallControl(repository, db, rest,
        new TwilioCallEnds(new CallRepository(dsl), events), answers);
    VoiceWebhook voice = new VoiceWebhook(webhooks, repository, db, admission, answers, control, defaultCountryCode);
    AgentDoneWebhook agentDone = new AgentDoneWebhook(webhooks, control, answers);
    DialDoneWebhook dialDone = new DialDoneWebhook(webhooks, control, answers);
    VoicemailDoneWebhook voicemailDone = new VoicemailDoneWebhook(webhooks, control, answers, repository, db, rest,
        events, recordingsDir);
    VoiceStatusWebhook voiceStatus = new VoiceStatusWebhook(webhooks, repository, db, control, statusGrace);
    log.info("twilio inbound: voice webhook {}, streams to {}", config.webhook("/twilio/voice"),
        config.streamUrl().map(Object::toString).orElse("(unset)"));
    return new TwilioInbound(rest, db, control, app -> {
      app.post("/twilio/voice", voice::handle);
      app.post("/twilio/agent-done", agentDone::handle);
      app.post("/twilio/dial-done", dialDone::handle);
      app.post("/twilio/voicemail-done", voicemailDone::handle);
      app.post("/twilio/voice-status", voiceStatus::handle);
    });
  }

  /** What the Media Streams transport reports to; empty when Twilio is not configured. */
  public Optional<StreamControl> streamControl() {
    return Optional.ofNullable(control);
  }

  @Override
  public String name() {
    return "twilio-inbound";
  }

  @Override
  public Consumer<Javalin> routes() {
    return routes;
  }

  @Override
  public void close() {
    if (control != null) {
      control.close();
      db.close();
      rest.close();
    }
  }
}
