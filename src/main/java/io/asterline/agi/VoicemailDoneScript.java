package io.asterline.agi;

import io.asterline.call.CallEvents;
import io.asterline.call.CallRepository;
import io.asterline.recording.RecordingKind;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://host/voicemail-done,<call id>,<file>,<RECORD_STATUS>,<duration ms>}, from [asterline-voicemail]
 * once Record() has ended (and again from its hangup handler, since a caller who hangs up to end the message
 * stops the dialplan): stores the message on the call (file, duration, time; the first report wins) and hands it
 * to the recording queue ({@link CallEvents#voicemailLeft}), which stores and transcribes it like a recording.
 * See agi-scripts/README.md for the contract.
 */
public final class VoicemailDoneScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(VoicemailDoneScript.class);

  /** Asterisk's core sound "Please leave your message after the tone...": the greeting when the tenant has none. */
  static final String DEFAULT_GREETING = "vm-intro";

  /** RECORD_STATUS values after which Record() kept a file (HANGUP too: the dialplan records with option k). */
  private static final Set<String> KEPT = Set.of("DTMF", "SILENCE", "TIMEOUT", "HANGUP", "OPERATOR");

  private final AgiRepository repository;
  private final DbDeadline db;
  private final CallEvents events;
  private final PendingWrites pending;

  VoicemailDoneScript(AgiRepository repository, DbDeadline db, CallEvents events, PendingWrites pending,
      MeterRegistry metrics) {
    super("voicemail-done", metrics);
    this.repository = repository;
    this.db = db;
    this.events = events;
    this.pending = pending;
  }

  /**
   * Adds what [asterline-voicemail] needs to an answer that sends the call there (inbound's voicemail route,
   * after-agent's voicemail): where Record() writes, and what the caller hears first.
   */
  static ScriptResult toVoicemail(ScriptResult result, Path recordingsDir, long tenantId, UUID callId,
      String greetingSound) {
    return result
        .with(AgiVariables.VOICEMAIL_FILE, RecordingKind.VOICEMAIL.file(recordingsDir, tenantId, callId))
        .with(AgiVariables.VOICEMAIL_GREETING, greetingSound == null ? DEFAULT_GREETING : greetingSound);
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> callId = uuid(input(request, channel, 1, AgiVariables.CALL_ID));
    if (callId.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    MDC.put("callId", callId.get().toString());
    String file = input(request, channel, 2, AgiVariables.VOICEMAIL_FILE);
    String status = input(request, channel, 3, AgiVariables.RECORD_STATUS);
    Integer durationMs = milliseconds(argument(request, 4));
    if (status == null || !KEPT.contains(status)) {
      log.info("voicemail-done: Record() kept nothing (RECORD_STATUS {}); no voicemail stored", status);
      return ScriptResult.of(AgiStatus.NO_MESSAGE);
    }
    if (file == null) {
      log.error("voicemail-done: no file in argument 2 or {}; the dialplan must pass where Record() wrote",
          AgiVariables.VOICEMAIL_FILE);
      return ScriptResult.of(AgiStatus.ERROR);
    }
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    if (pending.holds(callId.get())) {
      // the call's row (a DEGRADED call) is still waiting for the database: the message waits behind it
      return held(callId.get(), file, durationMs, now);
    }
    Optional<CallRepository.Voicemail> stored;
    try {
      stored = db.call(() -> repository.calls().voicemailLeft(callId.get(), file, durationMs, now));
    } catch (DbDeadline.Unavailable e) {
      log.warn("voicemail-done: database unavailable ({}); voicemail {} kept in the journal", e.getMessage(), file);
      return held(callId.get(), file, durationMs, now);
    }
    if (stored.isEmpty()) {
      log.warn("voicemail-done: no call {}; voicemail {} not stored", callId.get(), file);
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    CallRepository.Voicemail v = stored.get();
    if (!v.file().equals(file)) {
      log.warn("voicemail-done: the call already has voicemail {}; keeping it, not {}", v.file(), file);
    } else {
      log.info("voicemail stored: {} ({} ms, RECORD_STATUS {})", file, durationMs, status);
    }
    // idempotent: a repeat finds the job already queued
    events.voicemailLeft(callId.get(), v.tenantId(), v.file());
    return ScriptResult.of(AgiStatus.OK);
  }

  /**
   * Kept in the journal and stored (and queued) when the database takes it: for the caller that is a message left,
   * so OK. Refused only when the journal is full or the disk fails: then ERROR, and the hangup handler's report
   * tries again.
   */
  private ScriptResult held(UUID callId, String file, Integer durationMs, OffsetDateTime at) {
    return ScriptResult.of(pending.voicemailLeft(callId, file, durationMs, at) ? AgiStatus.OK : AgiStatus.ERROR);
  }

  /** RECORDING_INFO(duration): milliseconds, or null when absent or not a number. */
  private static Integer milliseconds(String text) {
    if (text == null) {
      return null;
    }
    try {
      long ms = Long.parseLong(text);
      return ms < 0 ? null : (int) Math.min(ms, Integer.MAX_VALUE);
    } catch (NumberFormatException e) {
      log.warn("voicemail-done: duration '{}' is not a number of milliseconds; stored without one", text);
      return null;
    }
  }
}
