package io.asterline.agi;

import io.asterline.admission.Admission;
import io.asterline.agi.AgiRepository.Admitted;
import io.asterline.agi.AgiRepository.InboundAsk;
import io.asterline.call.CallOutcome;
import io.asterline.call.CallRepository.EndAsk;
import io.asterline.call.CallRepository.NewCall;
import io.asterline.phone.PhoneNumbers;
import io.asterline.call.Route;
import io.asterline.degraded.LocalCalls;
import io.asterline.recording.RecordingKind;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code agi://host/inbound,<DID>[,<tenant id>]}: which tenant a dialled number belongs to, whether the call
 * may start, and where it goes. See agi-scripts/README.md for the contract.
 */
public final class InboundScript extends AsterlineAgiScript {

  private static final Logger log = LoggerFactory.getLogger(InboundScript.class);

  private final AgiRepository repository;
  private final Admission admission;
  private final DbBatch<InboundAsk, Admitted> admissions;
  private final DbDeadline db;
  private final DidCache didCache;
  private final PendingWrites pending;
  private final LocalCalls localCalls;
  private final String audioSocketAddress;
  private final Path recordingsDir;
  private final String defaultCountryCode;

  InboundScript(AgiRepository repository, Admission admission, DbBatch<InboundAsk, Admitted> admissions,
      DbDeadline db, DidCache didCache,
      PendingWrites pending, LocalCalls localCalls, String audioSocketAddress, Path recordingsDir,
      String defaultCountryCode, MeterRegistry metrics) {
    super("inbound", metrics);
    this.repository = repository;
    this.admission = admission;
    this.admissions = admissions;
    this.db = db;
    this.didCache = didCache;
    this.pending = pending;
    this.localCalls = localCalls;
    this.audioSocketAddress = audioSocketAddress;
    this.recordingsDir = recordingsDir.toAbsolutePath().normalize();
    this.defaultCountryCode = defaultCountryCode;
  }

  /** What the dialplan asked for, after normalising. */
  private record Ask(Optional<String> did, Optional<Long> staticTenant, String remoteNumber, String uniqueId,
      String channel) {}

  @Override
  protected ScriptResult decide(AgiRequest request, AgiChannel channel) {
    Optional<String> did = dialled(request);
    String tenantArg = argument(request, 2);
    Optional<Long> staticTenant = Optional.empty();
    if (tenantArg != null) {
      try {
        staticTenant = Optional.of(Long.parseLong(tenantArg));
      } catch (NumberFormatException e) {
        log.warn("inbound: tenant argument '{}' is not a tenant id; looking the number up instead", tenantArg);
      }
    }
    if (did.isEmpty() && staticTenant.isEmpty()) {
      log.warn("inbound: no dialled number in argument '{}', extension '{}' or dnid '{}'",
          argument(request, 1), request.getExtension(), request.getDnid());
      return ScriptResult.of(AgiStatus.UNKNOWN_DID);
    }
    if (admission.draining()) {
      return ScriptResult.of(AgiStatus.OVER_CAPACITY);
    }
    Ask ask = new Ask(did, staticTenant, request.getCallerIdNumber(), request.getUniqueId(), request.getChannel());
    UUID callId = UUID.randomUUID();
    MDC.put("callId", callId.toString());
    try {
      return decideWithDatabase(ask, callId);
    } catch (DbDeadline.Unavailable e) {
      log.warn("inbound: database unavailable ({}), answering from the last known numbers", e.getMessage());
      return decideFromMemory(ask, callId);
    }
  }

  /** Looks up and admits the call in the next inbound batch, under the deadline. */
  private ScriptResult decideWithDatabase(Ask ask, UUID callId) throws DbDeadline.Unavailable {
    Admitted admitted = admissions.call(new InboundAsk(callId, ask.did().orElse(null), ask.staticTenant().orElse(null),
        ask.remoteNumber(), ask.uniqueId(), ask.channel(), OffsetDateTime.now(ZoneOffset.UTC)));
    var route = admitted.route();
    if (ask.staticTenant().isEmpty()) {
      String number = ask.did().get();
      if (route != null && route.routable() && route.tenantActive()) {
        didCache.put(new DidCache.Entry(number, route.didId(), route.tenantId(), route.trunk(), route.recordingEnabled()));
      } else {
        didCache.remove(number);
      }
    }
    String where = ask.did().map(Object::toString).orElse("tenant " + ask.staticTenant().orElse(null));
    switch (admitted.verdict()) {
      case UNKNOWN:
        log.info("inbound: {} is unknown", where);
        return ScriptResult.of(AgiStatus.UNKNOWN_DID);
      case NOT_ROUTABLE:
        log.info("inbound: {} is not in service ({})", where, route.didStatus());
        return ScriptResult.of(AgiStatus.UNKNOWN_DID);
      case TENANT_DISABLED:
        return ScriptResult.of(AgiStatus.TENANT_DISABLED).with(AgiVariables.TENANT_ID, route.tenantId());
      case REJECT:
        return ScriptResult.of(AgiStatus.OK)
            .with(AgiVariables.TENANT_ID, route.tenantId())
            .with(AgiVariables.ROUTE, Route.REJECT.dbValue());
      case OK:
        break;
      default:
        log.info("inbound: tenant {} not admitted: {}", route.tenantId(), admitted.verdict());
        return ScriptResult.of(AgiStatus.OVER_CAPACITY)
            .with(AgiVariables.TENANT_ID, route.tenantId())
            .with(AgiVariables.CALL_ID, callId);
    }
    ScriptResult result = admitted(AgiStatus.OK, ask, callId, route.tenantId(), route.trunk(), route.inboundRoute(),
        route.recordingEnabled());
    if (route.inboundRoute() == Route.FORWARD) {
      result.with(AgiVariables.FORWARD_TO, route.transferNumber());
    } else if (route.inboundRoute() == Route.VOICEMAIL) {
      VoicemailDoneScript.toVoicemail(result, recordingsDir, route.tenantId(), callId, greetingSound(route.tenantId()));
    } else if (route.inboundRoute() == Route.AGENT) {
      withConsent(result, consent(route.tenantId()));
    }
    return result.onAbandoned(() -> endAbandoned(callId, false));
  }

  /** The tenant's own greeting, or null (the default) when it has none or the database is slow right now. */
  private String greetingSound(long tenantId) {
    try {
      return db.call(() -> repository.voicemailGreetingSound(tenantId)).orElse(null);
    } catch (DbDeadline.Unavailable e) {
      log.warn("inbound: voicemail greeting unavailable ({}); the caller hears the default", e.getMessage());
      return null;
    }
  }

  /**
   * The tenant's consent announcement, read fresh (a tenant that just turned it on is announced from the next call
   * on); while the database is slow, from this node's copy of the tenant's settings (at most agi.did-cache-refresh
   * old), so an outage never skips an announcement the tenant had.
   */
  private Optional<AgiRepository.Consent> consent(long tenantId) {
    try {
      return db.call(() -> repository.consent(tenantId));
    } catch (DbDeadline.Unavailable e) {
      log.warn("inbound: consent settings unavailable ({}); using this node's copy", e.getMessage());
      return cachedConsent(tenantId);
    }
  }

  private Optional<AgiRepository.Consent> cachedConsent(long tenantId) {
    return localCalls.tenant(tenantId).flatMap(t -> t.consentSound().map(s -> new AgiRepository.Consent(s,
        t.consentOrder())));
  }

  /** The dialplan plays it ([asterline-consent]) before the agent's leg, before or after MixMonitor as ordered. */
  static ScriptResult withConsent(ScriptResult result, Optional<AgiRepository.Consent> consent) {
    // unset without one: the answers of tenants without an announcement stay as they were
    return result.with(AgiVariables.CONSENT_SOUND, consent.map(AgiRepository.Consent::sound).orElse(null))
        .with(AgiVariables.CONSENT_ORDER, consent.map(AgiRepository.Consent::order).orElse(null));
  }

  private ScriptResult decideFromMemory(Ask ask, UUID callId) {
    long tenantId;
    UUID didId = null;
    String trunk = null;
    boolean recording = true;
    if (ask.staticTenant().isPresent()) {
      tenantId = ask.staticTenant().get();
    } else {
      Optional<DidCache.Entry> entry = didCache.find(ask.did().get());
      if (entry.isEmpty()) {
        if (!didCache.loaded()) {
          log.error("inbound: database unavailable and the DID map was never loaded; cannot route {}", ask.did().get());
          return ScriptResult.of(AgiStatus.ERROR);
        }
        return ScriptResult.of(AgiStatus.UNKNOWN_DID);
      }
      tenantId = entry.get().tenantId();
      didId = entry.get().didId();
      trunk = entry.get().trunk();
      recording = entry.get().recordingEnabled();
    }
    if (localCalls.tenant(tenantId).isEmpty()) {
      // the agent leg could not start without them: the failure route now beats two seconds of silence later
      log.error("inbound: database unavailable and tenant {}'s agent settings were never loaded; cannot take the call",
          tenantId);
      return ScriptResult.of(AgiStatus.ERROR);
    }
    if (!pending.admitted(newCall(ask, callId, tenantId, didId))) {
      // a call whose row cannot be kept would leave no trace at all: the dialplan's failure route instead
      return ScriptResult.of(AgiStatus.ERROR);
    }
    // the AudioSocket leg and after-agent of this call find it here, on this node
    localCalls.admittedWhileDegraded(callId, tenantId, Instant.now());
    return withConsent(admitted(AgiStatus.DEGRADED, ask, callId, tenantId, trunk, Route.AGENT, recording),
        cachedConsent(tenantId)).onAbandoned(() -> endAbandoned(callId, true));
  }

  private ScriptResult admitted(AgiStatus status, Ask ask, UUID callId, long tenantId, String trunk, Route route,
      boolean recording) {
    ScriptResult result = ScriptResult.of(status)
        .with(AgiVariables.TENANT_ID, tenantId)
        .with(AgiVariables.CALL_ID, callId)
        .with(AgiVariables.DID, ask.did().orElse(null))
        .with(AgiVariables.TRUNK, trunk)
        .with(AgiVariables.ROUTE, route.dbValue());
    if (route == Route.AGENT) {
      result.with(AgiVariables.AUDIOSOCKET, audioSocketAddress);
    }
    result.with(AgiVariables.RECORDING, recording ? RecordingKind.CALL.file(recordingsDir, tenantId, callId).toString() : "");
    return result;
  }

  private NewCall newCall(Ask ask, UUID callId, long tenantId, UUID didId) {
    return new NewCall(callId, tenantId, "inbound", didId, ask.remoteNumber(), ask.uniqueId(), ask.channel(),
        OffsetDateTime.now(ZoneOffset.UTC));
  }

  /** The caller hung up while we were answering: end the call now so its slot is not held for hours. */
  private void endAbandoned(UUID callId, boolean degraded) {
    EndAsk abandoned = new EndAsk(callId, CallOutcome.ABANDONED.dbValue(), null, null,
        OffsetDateTime.now(ZoneOffset.UTC));
    if (degraded || pending.holds(callId)) {
      pending.ended(abandoned);
      return;
    }
    try {
      db.call(() -> repository.endCall(abandoned));
      log.info("inbound: caller left during the answer; call ended and its slot released");
    } catch (DbDeadline.Unavailable e) {
      pending.ended(abandoned);
    }
  }

  /** The dialled number: the first argument, else the extension, else the DNID, whichever is a number. */
  private Optional<String> dialled(AgiRequest request) {
    for (String candidate : new String[] {argument(request, 1), request.getExtension(), request.getDnid()}) {
      if (candidate != null && !candidate.isBlank()) {
        Optional<String> e164 = PhoneNumbers.toE164(candidate, defaultCountryCode);
        if (e164.isPresent()) {
          return e164;
        }
      }
    }
    return Optional.empty();
  }
}
