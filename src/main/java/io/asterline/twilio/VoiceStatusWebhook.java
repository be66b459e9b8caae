package io.asterline.twilio;

import io.asterline.call.CallRepository.EndAsk;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /twilio/voice-status}, a Twilio number's "call status changes" webhook: Twilio's hangup handler for
 * the ends nothing else reports (the caller leaves during the consent notice or the voicemail greeting, before any
 * stream or action). The Dial's, the Record's and the stream's own reports carry more (the DIALSTATUS, the message,
 * the recording) and Twilio sends them at about the same moment in no set order, so this end waits
 * {@code grace} and is stored only if none of them came first (the first end wins): then, as call-end stores a call
 * the caller left before any Dial, ABANDONED (or voicemail, when a message was stored).
 */
final class VoiceStatusWebhook {

  private static final Logger log = LoggerFactory.getLogger(VoiceStatusWebhook.class);
  private static final Set<String> FINAL = Set.of("completed", "busy", "failed", "no-answer", "canceled");

  private final TwilioWebhooks webhooks;
  private final TwilioInboundRepository repository;
  private final TwilioDb db;
  private final TwilioCallControl control;
  private final Duration grace;

  VoiceStatusWebhook(TwilioWebhooks webhooks, TwilioInboundRepository repository, TwilioDb db,
      TwilioCallControl control, Duration grace) {
    this.webhooks = webhooks;
    this.repository = repository;
    this.db = db;
    this.control = control;
    this.grace = grace;
  }

  void handle(Context ctx) {
    TwilioForm form = webhooks.verify(ctx);
    String status = form.first("CallStatus").orElse("");
    Optional<String> sid = form.first("CallSid").filter(s -> s.matches("CA[0-9a-f]{32}"));
    if (FINAL.contains(status) && sid.isPresent()) {
      OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
      try {
        Optional<UUID> callId = db.call(() -> repository.inboundCallBySid(sid.get()));
        callId.ifPresent(id -> {
          MDC.put("callId", id.toString());
          log.info("twilio: call {} is {}; its end is stored in {} ms unless reported otherwise", sid.get(), status,
              grace.toMillis());
          control.after(grace, id, () -> control.end(new EndAsk(id, null, null, null, at)));
          MDC.remove("callId");
        });
      } catch (TwilioDb.Unavailable e) {
        // the end of a call nothing else reported is left to admission_reclaim
        log.warn("twilio: database unavailable for the status of {} ({})", sid.get(), e.getMessage());
      }
    }
    ctx.status(204);
  }
}
