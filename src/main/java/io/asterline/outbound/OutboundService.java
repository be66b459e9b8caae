package io.asterline.outbound;

import io.asterline.admission.Admission;
import io.asterline.admission.AdmissionRefusedException;
import io.asterline.agi.AgiVariables;
import io.asterline.error.ConflictException;
import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.error.UnavailableException;
import io.asterline.call.CallOutcome;
import io.asterline.call.CallState;
import io.asterline.compliance.ComplianceService;
import io.asterline.recording.RecordingKind;
import io.asterline.twilio.TwilioConfig;
import io.asterline.twilio.TwilioConfig.Provider;
import io.asterline.twilio.TwilioRest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.asteriskjava.manager.action.OriginateAction;
import org.asteriskjava.manager.response.ManagerError;
import org.asteriskjava.manager.response.ManagerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Places outbound calls through Asterisk (AMI) or Twilio (REST API): the provider (the tenant's Asterisk share,
 * chosen per lead), slot, caller ID (a Twilio number for a Twilio call), call row, then the originate or the
 * create when the trunk's calls-per-second turn comes. Tracks Asterisk's answers (the immediate one, then
 * OriginateResponse) into the call's state (Twilio's arrive as status callbacks, {@link TwilioCallbacks}), fails
 * a call over to the other provider when its own is down and the tenant allows it, and gives everything back (slot,
 * DID use) for a call that never left.
 */
public final class OutboundService implements AmiClient.Listener, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OutboundService.class);

  public static final String CONTEXT = "asterline-outbound";

  /** How long a call whose turn came rides out an AMI reconnect before it fails as ami_down. */
  static final Duration AMI_DOWN_PATIENCE = Duration.ofSeconds(30);

  /** One call to place, already validated (the API and the journeys check their own fields). */
  public record CallRequest(
      long tenantId,
      String toNumber,
      Long leadId,
      Optional<UUID> didId,
      Optional<String> didSegment,
      String transferNumber,
      String audioFile,
      String voicemailAction,
      String voicemailMessage,
      Long journeyRunId,
      Long journeyNodeId) {}

  /** How far a placed call got while the caller waited. */
  public enum Progress {
    /** still waiting for its trunk's turn, or Asterisk's answer did not come in time */
    CREATED,
    /** Asterisk accepted the originate and is dialling */
    RINGING,
    /** Asterisk already reported the end (answered or failed) */
    REPORTED,
    /** Twilio accepted the call: its state is what its status callbacks said so far */
    QUEUED
  }

  /**
   * A placed call; {@code accepted} completes with its progress, or exceptionally when it never left.
   * {@code turnIn} is how long the calls ahead of it on its trunk will take at the trunk's rate.
   */
  public record Placed(UUID callId, Carrier carrier, CompletableFuture<Progress> accepted, Duration turnIn) {

    /** The caller ID the call presents (a failover may change it while the caller waits). */
    public SelectedDid did() {
      return carrier.did();
    }

    /** Who carries the call now. */
    public Provider provider() {
      return carrier.provider();
    }
  }

  /** Who carries a call and from which number; changes once at most, when the call fails over. */
  public static final class Carrier {
    private volatile Provider provider;
    private volatile SelectedDid did;

    Carrier(Provider provider, SelectedDid did) {
      this.provider = provider;
      this.did = did;
    }

    public Provider provider() {
      return provider;
    }

    public SelectedDid did() {
      return did;
    }

    synchronized void set(Provider provider, SelectedDid did) {
      this.did = did;
      this.provider = provider;
    }
  }

  /** Asterisk answered the originate with an error (e.g. no such extension, permission denied). */
  public static final class OriginateRefusedException extends RuntimeException {
    public OriginateRefusedException(String message) {
      super(message);
    }
  }

  /**
   * A call in this node's hands until its provider has it: until Asterisk reports how its originate ended, or
   * until Twilio answered its create.
   */
  private static final class Pending {
    final UUID callId;
    final CallRequest request;
    final OutboundCallRepository.TenantFacts tenant;
    final Carrier carrier;
    final String toNumber;
    final CompletableFuture<Progress> accepted = new CompletableFuture<>();
    final AtomicBoolean over = new AtomicBoolean();
    /** when it joined its trunk's line (again, after a failover) */
    volatile long queuedAt = System.nanoTime();
    /** the originate's variables (Asterisk only) */
    volatile Map<String, String> variables;
    volatile boolean sent;
    /** when this call, at its turn, first found AMI down (0 = never) */
    long amiDownSince;
    /** it went to the other provider once: it never goes back */
    volatile boolean failedOver;

    Pending(UUID callId, CallRequest request, OutboundCallRepository.TenantFacts tenant, Carrier carrier,
        Map<String, String> variables) {
      this.callId = callId;
      this.request = request;
      this.tenant = tenant;
      this.carrier = carrier;
      this.toNumber = request.toNumber();
      this.variables = variables;
    }

    SelectedDid did() {
      return carrier.did();
    }
  }

  private final OutboundConfig config;
  private final Path recordingsDir;
  private final AmiClient ami;
  private final CallerIdSelector callerIds;
  private final Admission admission;
  private final OutboundCallRepository calls;
  private final ComplianceService compliance;
  private final TrunkPacer pacer;
  private final ExecutorService events;
  private final ScheduledExecutorService sweeper;
  private final Map<UUID, Pending> pending = new ConcurrentHashMap<>();
  private final MeterRegistry metrics;
  /** asterline_calls_ended_total of outbound calls that never reached call-end, by outcome (a small fixed set). */
  private final Map<CallOutcome, Counter> ended = new ConcurrentHashMap<>();
  private final TwilioConfig twilio;
  /** null when Twilio is not configured (TwilioConfig.enabled() false): every call goes through Asterisk */
  private final TwilioDialer dialer;
  /** a tenant's share sends calls to Twilio while Twilio is not configured: said once, not per call */
  private final AtomicBoolean warnedTwilioOff = new AtomicBoolean();

  /**
   * Call {@link AmiClient#start(AmiClient.Listener)} with the service afterwards, so AMI answers reach it.
   * {@code dialer} null: Twilio is not configured.
   */
  OutboundService(OutboundConfig config, Path recordingsDir, AmiClient ami, CallerIdSelector callerIds,
      Admission admission, OutboundCallRepository calls, ComplianceService compliance, MeterRegistry metrics,
      TwilioConfig twilio, TwilioDialer dialer) {
    this.twilio = twilio;
    this.dialer = dialer;
    this.metrics = metrics;
    this.compliance = compliance;
    this.config = config;
    this.recordingsDir = recordingsDir;
    this.ami = ami;
    this.callerIds = callerIds;
    this.admission = admission;
    this.calls = calls;
    this.pacer = new TrunkPacer(config::cpsFor);
    AtomicInteger n = new AtomicInteger();
    // AMI answers arrive on asterisk-java's reader thread, which must not wait on the database
    this.events = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "outbound-events-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    ScheduledThreadPoolExecutor sweep = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "outbound-sweeper");
      t.setDaemon(true);
      return t;
    });
    sweep.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.sweeper = sweep;
    long every = Math.max(1, Math.min(30, config.responseGrace().toSeconds() / 2));
    sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.SECONDS);
  }

  /** @throws UnavailableException when this node is stopping or AMI is not connected */
  public void requireAmi() {
    // the admission drained for a shutdown: calls already placed or queued go on, no new ones
    if (admission.draining()) {
      throw new UnavailableException("outbound calls are unavailable: this node is shutting down");
    }
    if (!ami.connected()) {
      throw new UnavailableException("outbound calls are unavailable: " + ami.unavailableReason());
    }
  }

  /**
   * Checks, taking nothing, that a call of the tenant to this lead could be placed now: this node is not stopping,
   * and the provider the lead goes to (or, when the tenant fails over, the other one) is up. An unknown tenant
   * passes: placing says so.
   *
   * @throws UnavailableException this node stopping, or the lead's provider down without a failover
   */
  public void requireCarrier(long tenantId, Long leadId, String toNumber) {
    if (admission.draining()) {
      throw new UnavailableException("outbound calls are unavailable: this node is shutting down");
    }
    calls.tenant(tenantId).ifPresent(t -> provider(t, leadId, toNumber));
  }

  /**
   * The provider that places the tenant's call to this lead now: the tenant's share (chosen per lead), Asterisk
   * when that says Twilio but Twilio is not configured, the other one when Asterisk is down and the tenant fails
   * over.
   *
   * @throws UnavailableException Asterisk is the provider and AMI is down
   */
  private Provider provider(OutboundCallRepository.TenantFacts tenant, Long leadId, String toNumber) {
    Provider p = ProviderChoice.choose(tenant.id(), tenant.asteriskShare(), twilio.defaultProvider(), leadId,
        toNumber);
    if (p == Provider.TWILIO && dialer == null) {
      if (warnedTwilioOff.compareAndSet(false, true)) {
        log.warn("outbound: tenant {} sends calls to Twilio (asterisk_share {}), but Twilio is not configured here"
            + " (twilio.account-sid, twilio.auth-token, twilio.webhook-base-url): they go through Asterisk",
            tenant.id(), tenant.asteriskShare());
      }
      p = Provider.ASTERISK;
    }
    if (p == Provider.ASTERISK && !ami.connected()) {
      if (tenant.providerFailover() && dialer != null) {
        log.warn("outbound: AMI is down ({}); tenant {} fails over: the call goes through Twilio",
            ami.unavailableReason(), tenant.id());
        return Provider.TWILIO;
      }
      throw new UnavailableException("outbound calls are unavailable: " + ami.unavailableReason());
    }
    return p;
  }

  /**
   * Places one call. Checks its provider before anything is taken, so a 503 leaves no slot and no DID use behind.
   *
   * @throws UnavailableException this node stopping, or AMI down for a call Asterisk places (no failover)
   * @throws NotFoundException unknown tenant
   * @throws ConflictException tenant disabled or at its limit; the number on the do-not-call list or outside its
   *     calling window (field to_number)
   * @throws InvalidInputException unusable caller ID (for a Twilio call: no usable Twilio number)
   */
  public Placed place(CallRequest request) {
    checkCallerId(request.tenantId(), request.didId(), request.didSegment(), "did_id", "did_segment");
    if (admission.draining()) {
      throw new UnavailableException("outbound calls are unavailable: this node is shutting down");
    }
    OutboundCallRepository.TenantFacts tenant = calls.tenant(request.tenantId())
        .orElseThrow(() -> new NotFoundException("no tenant " + request.tenantId()));
    if (!tenant.active()) {
      throw new ConflictException("tenant " + tenant.id() + " is disabled");
    }
    Provider provider = provider(tenant, request.leadId(), request.toNumber());
    // before anything is taken: a number that must not be called leaves no slot and no DID use behind
    compliance.requireCallable(tenant.id(), request.journeyRunId(), request.toNumber(), "to_number");
    UUID callId = UUID.randomUUID();
    try {
      admission.reserve(tenant.id(), callId);
    } catch (AdmissionRefusedException e) {
      throw new ConflictException(e.getMessage());
    }
    SelectedDid did;
    try {
      try {
        did = pick(provider, tenant.id(), request);
      } catch (CallerIdException e) {
        if (provider != Provider.TWILIO || !tenant.providerFailover() || !ami.connected()) {
          throw e;
        }
        // no Twilio number to present: Asterisk can place the call with the tenant's other numbers
        log.warn("outbound: no Twilio caller ID for tenant {} ({}); it fails over: the call goes through Asterisk",
            tenant.id(), e.getMessage());
        provider = Provider.ASTERISK;
        did = pick(provider, tenant.id(), request);
      }
    } catch (CallerIdException e) {
      admission.release(callId);
      throw new InvalidInputException(switch (e.field()) {
        case DID_ID -> "did_id";
        case DID_SEGMENT -> "did_segment";
        case NONE -> null;
      }, e.getMessage());
    } catch (RuntimeException e) {
      admission.release(callId);
      throw e;
    }
    Map<String, String> variables;
    try {
      variables = provider == Provider.ASTERISK ? variables(callId, tenant, did, request) : null;
      calls.create(new OutboundCallRepository.NewCall(callId, tenant.id(), provider.dbValue(), did,
          request.toNumber(), request.leadId(), request.transferNumber(), request.audioFile(),
          request.voicemailAction(), request.voicemailMessage(), request.journeyRunId(), request.journeyNodeId()));
    } catch (RuntimeException e) {
      callerIds.undo(did);
      admission.release(callId);
      throw e;
    }
    Pending call = new Pending(callId, request, tenant, new Carrier(provider, did), variables);
    int ahead = submit(call);
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      log.info("outbound: call to {} from {} (DID {}, trunk {}) placed through {}, {} waiting before it",
          request.toNumber(), did.number(), did.id(), did.trunk(), provider.dbValue(), ahead);
    }
    Duration turnIn = Duration.ofNanos((long) (ahead * 1e9 / config.cpsFor(did.trunk())));
    return new Placed(callId, call.carrier, call.accepted, turnIn);
  }

  /** The caller ID for a call through {@code provider}: a Twilio call presents one of the account's numbers. */
  private SelectedDid pick(Provider provider, long tenantId, CallRequest r) {
    Optional<String> callee = Optional.of(r.toNumber());
    Optional<Long> lead = Optional.ofNullable(r.leadId());
    return provider == Provider.TWILIO
        ? callerIds.selectTwilio(tenantId, r.didId(), r.didSegment(), callee, lead)
        : callerIds.select(tenantId, r.didId(), r.didSegment(), callee, lead);
  }

  /** Puts the call in its trunk's line, to be started by its provider at its turn; how many wait before it. */
  private int submit(Pending call) {
    if (call.carrier.provider() == Provider.ASTERISK) {
      pending.put(call.callId, call);
    }
    return pacer.submit(call.did().trunk(), new TrunkPacer.Paced() {
      @Override
      public boolean start() {
        return call.carrier.provider() == Provider.TWILIO ? dial(call) : originate(call);
      }

      @Override
      public void abandon() {
        giveBack(call, CallOutcome.SHUTDOWN, new AmiUnavailableException("Asterline is stopping"));
      }
    });
  }

  /**
   * Checks that the DID and segment a call or a journey node names exist for the tenant, takes nothing.
   *
   * @throws InvalidInputException on {@code didField} or {@code segmentField}
   */
  public void checkCallerId(long tenantId, Optional<UUID> didId, Optional<String> segment, String didField,
      String segmentField) {
    try {
      callerIds.check(tenantId, didId, segment);
    } catch (CallerIdException e) {
      throw new InvalidInputException(e.field() == CallerIdException.Field.DID_ID ? didField : segmentField,
          (e.field() == CallerIdException.Field.DID_ID ? didField : segmentField) + ": " + e.getMessage());
    }
  }

  /**
   * Waits a little for Asterisk to accept the originate, so the common case answers with the truth
   * (ringing, or 503 when it was refused); a call still waiting for its trunk's turn answers 'created'.
   */
  static Progress await(Placed placed, Duration wait) {
    if (placed.turnIn().compareTo(wait) > 0) {
      // its turn comes later than the caller would wait: no point holding the request
      return Progress.CREATED;
    }
    try {
      return placed.accepted().get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return Progress.CREATED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Progress.CREATED;
    } catch (ExecutionException | CompletionException e) {
      throw new UnavailableException("call " + placed.callId() + " was not placed: " + e.getCause().getMessage());
    }
  }

  /** The call's state as an API answer shows it, given how far it got while the caller waited. */
  public CallState state(Placed placed, Progress progress) {
    return switch (progress) {
      case CREATED -> CallState.CREATED;
      case RINGING -> CallState.RINGING;
      case REPORTED, QUEUED -> calls.settings(placed.callId()).map(OutboundCallRepository.CallSettings::state)
          .orElse(CallState.CREATED);
    };
  }

  /** Whether numbers may be called now (do-not-call list, calling windows), and the clock that says when now is. */
  ComplianceService compliance() {
    return compliance;
  }

  /** Calls still waiting for their trunk's turn. */
  public int waiting(String trunk) {
    return pacer.waiting(trunk);
  }

  /** False when the call must wait a little longer (AMI reconnecting). */
  private boolean originate(Pending call) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      if (call.over.get()) {
        return true;
      }
      long now = System.nanoTime();
      if (now - call.queuedAt > config.maxQueueWait().toNanos()) {
        giveBack(call, CallOutcome.QUEUE_TIMEOUT, new AmiUnavailableException("the call waited longer than "
            + config.maxQueueWait().toSeconds() + "s for its trunk's calls-per-second turn"));
        return true;
      }
      if (!ami.connected()) {
        // an accepted call rides out a reconnect (Asterisk restarting) instead of failing on a blip
        if (call.amiDownSince == 0) {
          call.amiDownSince = now;
        }
        if (now - call.amiDownSince < AMI_DOWN_PATIENCE.toNanos()) {
          return false;
        }
        if (!failOver(call, Provider.TWILIO, "AMI down: " + ami.unavailableReason())) {
          giveBack(call, CallOutcome.AMI_DOWN, new AmiUnavailableException(ami.unavailableReason()));
        }
        return true;
      }
      calls.originated(call.callId);
      OriginateAction action = action(call);
      call.sent = true;
      try {
        ami.originate(action, response -> onEventThread(() -> acknowledged(call, response)));
      } catch (AmiUnavailableException e) {
        // lost between the check and the send: nothing left, so the call may wait for the reconnect
        call.sent = false;
        call.amiDownSince = call.amiDownSince == 0 ? now : call.amiDownSince;
        return false;
      }
      log.debug("outbound: originate sent on {}", action.getChannel());
      return true;
    } catch (RuntimeException e) {
      log.error("outbound: originate failed", e);
      giveBack(call, CallOutcome.FAILED, e);
      return true;
    }
  }

  private OriginateAction action(Pending call) {
    OriginateAction a = new OriginateAction();
    a.setActionId(call.callId.toString());
    a.setChannel("PJSIP/" + call.toNumber + "@" + call.did().trunk());
    a.setContext(CONTEXT);
    a.setExten("s");
    a.setPriority(1);
    a.setCallerId(call.did().number());
    a.setTimeout(config.originateTimeout().toMillis());
    a.setAsync(true);
    a.setChannelId(call.callId.toString());
    a.setVariables(new LinkedHashMap<>(call.variables));
    return a;
  }

  private Map<String, String> variables(UUID callId, OutboundCallRepository.TenantFacts tenant, SelectedDid did,
      CallRequest r) {
    Map<String, String> v = new LinkedHashMap<>();
    v.put(AgiVariables.CALL_ID, callId.toString());
    v.put(AgiVariables.TENANT_ID, Long.toString(tenant.id()));
    v.put(AgiVariables.DIRECTION, "outbound");
    v.put(AgiVariables.AUDIOSOCKET, config.audioSocketAddress());
    v.put(AgiVariables.TRUNK, did.trunk());
    if (tenant.recordingEnabled()) {
      v.put(AgiVariables.RECORDING, RecordingKind.CALL.file(recordingsDir, tenant.id(), callId).toString());
    }
    String transfer = r.transferNumber() != null ? r.transferNumber() : tenant.transferNumber();
    if (transfer != null) {
      v.put(AgiVariables.TRANSFER_NUMBER, transfer);
    }
    if (r.audioFile() != null) {
      v.put(AgiVariables.AUDIO_FILE, r.audioFile());
    }
    if (tenant.consentSound() != null) {
      // known at the answer, before outbound-answered runs: a before_recording tenant's MixMonitor waits for it
      v.put(AgiVariables.CONSENT_SOUND, tenant.consentSound());
      v.put(AgiVariables.CONSENT_ORDER, tenant.consentOrder());
    }
    v.forEach((name, value) -> {
      // Asterisk splits each Variable header's value on commas: a comma would silently cut the value
      if (value.indexOf(',') >= 0) {
        throw new IllegalStateException(name + " would contain a comma, which AMI splits on: " + value);
      }
    });
    return v;
  }

  private void acknowledged(Pending call, ManagerResponse response) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      if (response instanceof ManagerError) {
        log.warn("outbound: Asterisk refused the originate: {}", response.getMessage());
        if (!failOver(call, Provider.TWILIO, "Asterisk refused the originate: " + response.getMessage())) {
          giveBack(call, CallOutcome.ORIGINATE_REJECTED, new OriginateRefusedException(
              "Asterisk refused the call: " + response.getMessage()));
        }
        return;
      }
      if (calls.ringing(call.callId)) {
        call.accepted.complete(Progress.RINGING);
      } else {
        call.accepted.complete(Progress.REPORTED);
      }
    } catch (RuntimeException e) {
      log.error("outbound: recording Asterisk's answer failed", e);
      call.accepted.complete(Progress.CREATED);
    }
  }

  /** The call's turn through Twilio: the REST create leaves, its answer is handled off this thread. */
  private boolean dial(Pending call) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      if (call.over.get()) {
        return true;
      }
      if (System.nanoTime() - call.queuedAt > config.maxQueueWait().toNanos()) {
        giveBack(call, CallOutcome.QUEUE_TIMEOUT, new TwilioRest.Unavailable("the call waited longer than "
            + config.maxQueueWait().toSeconds() + "s for its trunk's calls-per-second turn"));
        return true;
      }
      calls.originated(call.callId);
      call.sent = true;
      dialer.create(call.callId, call.toNumber, call.did().number(), detectMachine(call.tenant))
          .whenCompleteAsync((created, failure) -> twilioAnswered(call, created, failure), events);
      log.debug("outbound: Twilio create sent");
      return true;
    } catch (RuntimeException e) {
      log.error("outbound: the Twilio create failed", e);
      giveBack(call, CallOutcome.FAILED, e);
      return true;
    }
  }

  /** Twilio's answering-machine detection runs unless the tenant turned voicemail detection off. */
  private static boolean detectMachine(OutboundCallRepository.TenantFacts tenant) {
    return !"off".equals(tenant.voicemailDetection());
  }

  /**
   * Twilio answered the create: the call is queued there (its states come as status callbacks), or it was
   * refused (failed as twilio_refused, never retried elsewhere: the request itself is wrong), or Twilio is
   * unavailable (failed over to Asterisk when the tenant allows it, else failed as twilio_unavailable).
   */
  private void twilioAnswered(Pending call, TwilioRest.CallResource created, Throwable failure) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      if (failure == null) {
        if (!calls.providerCallSid(call.callId, created.sid())) {
          log.warn("outbound: Twilio accepted the call as {}, but the call holds another CallSid or moved on",
              created.sid());
        }
        log.info("outbound: Twilio accepted the call as {} ({})", created.sid(), created.status());
        call.accepted.complete(Progress.QUEUED);
        return;
      }
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      if (cause instanceof TwilioRest.Refused refused && refused.httpStatus() != 401
          && refused.httpStatus() != 403) {
        // about this call (e.g. 21211 invalid To): Asterisk would be asked the same wrong thing
        giveBack(call, CallOutcome.TWILIO_REFUSED, refused, twilioCause(refused));
        return;
      }
      // Twilio down, or refusing this account (credentials, suspension): the other provider may carry the call
      CallOutcome outcome = cause instanceof TwilioRest.Refused ? CallOutcome.TWILIO_REFUSED
          : CallOutcome.TWILIO_UNAVAILABLE;
      if (!failOver(call, Provider.ASTERISK, cause.getMessage())) {
        RuntimeException why = cause instanceof RuntimeException r ? r : new TwilioRest.Unavailable(cause.toString());
        giveBack(call, outcome, why, cause instanceof TwilioRest.Refused r ? twilioCause(r) : null);
      }
    } catch (RuntimeException e) {
      log.error("outbound: recording Twilio's answer failed", e);
      call.accepted.complete(Progress.CREATED);
    }
  }

  /** Twilio's reason for hangup_cause: its error code, else the HTTP status. */
  private static String twilioCause(TwilioRest.Refused refused) {
    return refused.code() != 0 ? "twilio " + refused.code() : "twilio HTTP " + refused.httpStatus();
  }

  /**
   * Moves a call that has not left to the other provider, when its tenant allows it and that provider is up: a
   * caller ID of that provider, the row saying who carries it now, and a place in that trunk's line. Once per call.
   * False when it cannot (then the caller fails the call).
   */
  private boolean failOver(Pending call, Provider to, String why) {
    if (!call.tenant.providerFailover() || call.failedOver || call.over.get() || admission.draining()) {
      return false;
    }
    if (to == Provider.ASTERISK ? !ami.connected() : dialer == null) {
      log.warn("outbound: {}; {} is not available either", why, to.dbValue());
      return false;
    }
    SelectedDid next;
    CallRequest r = call.request;
    try {
      // not the lead's last number (sticky): that is the one of the provider that just failed
      next = pick(to, call.tenant.id(), new CallRequest(r.tenantId(), r.toNumber(), null, r.didId(), r.didSegment(),
          r.transferNumber(), r.audioFile(), r.voicemailAction(), r.voicemailMessage(), r.journeyRunId(),
          r.journeyNodeId()));
    } catch (CallerIdException e) {
      try {
        // the numbers the request named are the other provider's: any of this one's
        next = pick(to, call.tenant.id(), new CallRequest(r.tenantId(), r.toNumber(), null, Optional.empty(),
            Optional.empty(), r.transferNumber(), r.audioFile(), r.voicemailAction(), r.voicemailMessage(),
            r.journeyRunId(), r.journeyNodeId()));
      } catch (CallerIdException again) {
        log.warn("outbound: {}; no caller ID to fail over to {}: {}", why, to.dbValue(), again.getMessage());
        return false;
      }
    }
    if (!calls.failedOver(call.callId, to.dbValue(), next)) {
      callerIds.undo(next);
      return false;
    }
    callerIds.undo(call.did());
    call.failedOver = true;
    call.carrier.set(to, next);
    call.sent = false;
    call.amiDownSince = 0;
    call.queuedAt = System.nanoTime();
    if (to == Provider.ASTERISK) {
      call.variables = variables(call.callId, call.tenant, next, call.request);
    } else {
      pending.remove(call.callId);
    }
    log.warn("outbound: {}; the call fails over to {} from {} (DID {}, trunk {})", why, to.dbValue(), next.number(),
        next.id(), next.trunk());
    submit(call);
    return true;
  }

  @Override
  public void originateResponse(OriginateResponse response) {
    onEventThread(() -> originateEnded(response));
  }

  private void onEventThread(Runnable task) {
    try {
      events.execute(task);
    } catch (RejectedExecutionException e) {
      // stopping: the failed extension or, on the next start, the sweeper closes the call
      log.debug("outbound: AMI answer after stop ignored");
    }
  }

  @Override
  public void disconnected() {
    // originates sent but not acknowledged may or may not have reached Asterisk: their end comes from the
    // failed extension or, failing that, the sweeper; the caller learns the call is not confirmed yet
    pending.values().stream().filter(p -> p.sent).forEach(p -> p.accepted.complete(Progress.CREATED));
  }

  /**
   * Records how an originate ended, reported by the AMI event or by the dialplan's {@code failed} extension
   * (either may come first, or alone); a failed one gives its slot back. Returns false for an unknown call.
   */
  public boolean originateEnded(OriginateResponse response) {
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", response.callId().toString())) {
      boolean first = calls.originateEnded(response.callId(), response.reason(), response.channel());
      Pending call = pending.remove(response.callId());
      if (call != null) {
        call.over.set(true);
        call.accepted.complete(Progress.REPORTED);
      }
      if (!response.answered()) {
        admission.release(response.callId());
      }
      if (first) {
        log.info("outbound: originate ended: {} (reason {})", response.outcome().dbValue(), response.reason());
        if (!response.answered()) {
          // an answered call is counted by the FastAGI call-end; one never answered ends here
          countEnded(response.outcome());
        }
      }
      return first || call != null || calls.settings(response.callId()).isPresent();
    }
  }

  /** A call that never left: failed with {@code outcome}, its DID use and slot given back. */
  private void giveBack(Pending call, CallOutcome outcome, RuntimeException why) {
    giveBack(call, outcome, why, null);
  }

  /** The same, with the provider's reason for hangup_cause (e.g. Twilio's error code), or null. */
  private void giveBack(Pending call, CallOutcome outcome, RuntimeException why, String cause) {
    if (!call.over.compareAndSet(false, true)) {
      return;
    }
    pending.remove(call.callId);
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      log.warn("outbound: call not placed ({}): {}", outcome.dbValue(), why.getMessage());
      countEnded(outcome);
      try {
        try {
          if (cause == null) {
            calls.fail(call.callId, outcome);
          } else {
            calls.fail(call.callId, outcome, cause);
          }
          callerIds.undo(call.did());
        } finally {
          admission.release(call.callId);
        }
      } finally {
        // whatever the database did, whoever waits for this call hears that it did not leave
        call.accepted.completeExceptionally(why);
      }
    }
  }

  /** The same series, with the same labels, as the FastAGI call-end counts every answered call in. */
  void countEnded(CallOutcome outcome) {
    ended.computeIfAbsent(outcome, o -> metrics.counter("asterline.calls.ended", "direction", "outbound",
        "outcome", o.dbValue())).increment();
  }

  private void sweep() {
    try {
      List<UUID> lost = calls.failForgotten(config.originateTimeout().plus(config.responseGrace()),
          config.maxQueueWait().plus(config.responseGrace()));
      for (UUID id : lost) {
        try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", id.toString())) {
          log.warn("outbound: Asterisk never reported the end of this originate; failed as originate_lost");
          countEnded(CallOutcome.ORIGINATE_LOST);
          Pending call = pending.remove(id);
          if (call != null) {
            call.over.set(true);
            call.accepted.complete(Progress.REPORTED);
          }
          admission.release(id);
        }
      }
    } catch (RuntimeException e) {
      log.warn("outbound: sweeping forgotten calls failed: {}", e.toString());
    }
    // answered calls whose AMI event never came leave the database's pending states without passing here
    long stale = config.maxQueueWait().plus(config.originateTimeout()).plus(config.responseGrace()).toNanos();
    pending.values().removeIf(p -> p.sent && System.nanoTime() - p.queuedAt > stale);
  }

  /** Runs the sweep now (tests, and operators through a future admin endpoint). */
  void sweepNow() {
    sweep();
  }

  @Override
  public void close() {
    pacer.close();
    sweeper.shutdownNow();
    events.shutdown();
    try {
      if (!events.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS)) {
        events.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
