package io.asterline.agi;

import io.asterline.call.CallRepository;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiException;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://host/consent-announced,<call id>}: [asterline-consent] played the tenant's recording-consent
 * announcement to the end; the call row keeps when ({@code consent_announced_at}, the first report wins). Run right
 * after the Playback and before the agent's leg is dialled, so the time stored precedes the agent's first word.
 *
 * <p>It only records: whatever it answers, the dialplan goes on to the agent (a caller never waits in silence for
 * a bookkeeping step). While the database is away the report waits in the journal like the call's other writes.
 */
public final class ConsentAnnouncedScript extends AsterlineAgiScript {

  /** The URL path: agi://host/consent-announced. */
  public static final String NAME = "consent-announced";

  private static final Logger log = LoggerFactory.getLogger(ConsentAnnouncedScript.class);

  private final CallRepository calls;
  private final DbDeadline db;
  private final PendingWrites pending;

  ConsentAnnouncedScript(CallRepository calls, DbDeadline db, PendingWrites pending, MeterRegistry metrics) {
    super(NAME, metrics);
    this.calls = calls;
    this.db = db;
    this.pending = pending;
  }

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) throws AgiException {
    Optional<UUID> callId = uuid(input(request, channel, 1, AgiVariables.CALL_ID));
    if (callId.isEmpty()) {
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    MDC.put("callId", callId.get().toString());
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    if (pending.holds(callId.get())) {
      // a DEGRADED call's row is still waiting for the database: the report waits behind it
      return held(callId.get(), now);
    }
    boolean stored;
    try {
      stored = db.call(() -> calls.consentAnnounced(callId.get(), now));
    } catch (DbDeadline.Unavailable e) {
      log.warn("consent-announced: database unavailable ({}); kept in the journal", e.getMessage());
      return held(callId.get(), now);
    }
    if (!stored) {
      log.warn("consent-announced: no call {} in progress; the announcement was not recorded", callId.get());
      return ScriptResult.of(AgiStatus.UNKNOWN_CALL);
    }
    log.info("recording consent announced");
    return ScriptResult.of(AgiStatus.OK);
  }

  private ScriptResult held(UUID callId, OffsetDateTime at) {
    return ScriptResult.of(pending.consentAnnounced(callId, at) ? AgiStatus.OK : AgiStatus.ERROR);
  }
}
