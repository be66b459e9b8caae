package io.asterline.twilio;

import io.asterline.call.CallEvents;
import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.recording.RecordingKind;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /twilio/voicemail-done?callId=...[&agent=1]}, the action of the voicemail's {@code <Record>} (and the
 * {@code <Redirect>} after it, for a message Twilio found silent): Twilio's voicemail-done. The caller hears goodbye
 * at once; then the message is fetched from Twilio ({@code RecordingUrl}.wav) into
 * {@code <recordings dir>/<tenant>/<call id>-voicemail.wav}, where Record() would have written it, stored on the call
 * and handed to the recording jobs like an Asterisk voicemail ({@link CallEvents#voicemailLeft}), and the call ends.
 * Without a message the caller hears the failure announcement, as [asterline-voicemail] plays on NO_MESSAGE.
 */
final class VoicemailDoneWebhook {

  private static final Logger log = LoggerFactory.getLogger(VoicemailDoneWebhook.class);
  /** Twilio may answer 404 for a recording for a moment after its Record ended. */
  private static final int DOWNLOAD_ATTEMPTS = 5;
  private static final Duration DOWNLOAD_BACKOFF = Duration.ofSeconds(2);

  private final TwilioWebhooks webhooks;
  private final TwilioCallControl control;
  private final TwilioAnswers answers;
  private final TwilioInboundRepository repository;
  private final TwilioDb db;
  private final TwilioRest rest;
  private final CallEvents events;
  private final Path recordingsDir;

  VoicemailDoneWebhook(TwilioWebhooks webhooks, TwilioCallControl control, TwilioAnswers answers,
      TwilioInboundRepository repository, TwilioDb db, TwilioRest rest, CallEvents events, Path recordingsDir) {
    this.webhooks = webhooks;
    this.control = control;
    this.answers = answers;
    this.repository = repository;
    this.db = db;
    this.rest = rest;
    this.events = events;
    this.recordingsDir = recordingsDir.toAbsolutePath().normalize();
  }

  void handle(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    UUID callId = TwilioRoutes.callId(ctx);
    boolean afterAgent = TwilioRoutes.afterAgent(ctx);
    MDC.put("callId", callId.toString());
    String twiml;
    try {
      Optional<String> url = form.first("RecordingUrl").filter(u -> !u.isBlank());
      if (url.isEmpty()) {
        log.info("twilio voicemail-done: no message recorded");
        control.end(end(callId, afterAgent));
        twiml = answers.failure();
      } else {
        Integer durationMs = form.first("RecordingDuration").filter(s -> s.matches("[0-9]{1,7}"))
            .map(s -> Integer.parseInt(s) * 1000).orElse(null);
        String media = url.get() + ".wav";
        control.background(callId, () -> fetch(callId, afterAgent, media, durationMs, 1));
        twiml = answers.goodbye();
      }
    } catch (RuntimeException e) {
      log.error("twilio voicemail-done failed; the caller hears the failure announcement", e);
      twiml = answers.failure();
    } finally {
      MDC.remove("callId");
    }
    TwilioRoutes.twiml(ctx, twiml);
  }

  private void fetch(UUID callId, boolean afterAgent, String media, Integer durationMs, int attempt) {
    byte[] wav;
    try {
      wav = rest.download(media).join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      boolean again = attempt < DOWNLOAD_ATTEMPTS && (cause instanceof TwilioRest.Unavailable
          || cause instanceof TwilioRest.Refused r && r.httpStatus() == 404);
      if (again) {
        control.after(DOWNLOAD_BACKOFF.multipliedBy(attempt), callId,
            () -> fetch(callId, afterAgent, media, durationMs, attempt + 1));
        return;
      }
      // the message stays at Twilio: the log names it (the URL carries no credential) for an admin to fetch
      log.error("twilio voicemail: could not fetch {} ({}); the call ends without it", media, cause.getMessage());
      control.end(end(callId, afterAgent));
      return;
    }
    try {
      Optional<Long> tenant = db.call(() -> repository.tenantOf(callId));
      if (tenant.isEmpty()) {
        log.warn("twilio voicemail: no call {}; message {} not stored", callId, media);
        return;
      }
      Path file = RecordingKind.VOICEMAIL.file(recordingsDir, tenant.get(), callId);
      write(file, wav);
      OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
      Optional<CallRepository.Voicemail> stored = db.call(() -> repository.calls().voicemailLeft(callId,
          file.toString(), durationMs, now));
      stored.ifPresent(v -> {
        log.info("voicemail stored: {} ({} ms, from Twilio)", v.file(), durationMs);
        events.voicemailLeft(callId, v.tenantId(), v.file());
      });
    } catch (TwilioDb.Unavailable e) {
      log.error("twilio voicemail: database unavailable ({}); message {} not stored", e.getMessage(), media);
    } catch (IOException e) {
      log.error("twilio voicemail: could not write the message of {} ({})", media, e.getMessage());
    }
    control.end(end(callId, afterAgent));
  }

  /** After the agent: call-end of an agent call (its Dial answered); the voicemail route: no Dial at all. */
  private EndAsk end(UUID callId, boolean afterAgent) {
    return afterAgent ? control.endAfterAgent(callId, CallOutcome.ANSWER.dbValue(), null)
        : new EndAsk(callId, null, null, null, OffsetDateTime.now(ZoneOffset.UTC));
  }

  private static void write(Path file, byte[] wav) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".part");
    Files.write(tmp, wav);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
