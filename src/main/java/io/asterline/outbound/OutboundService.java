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
 * Places outbound calls: AMI up, slot, caller ID, call row, then the originate when the trunk's
 * calls-per-second turn comes. Tracks Asterisk's answers (the immediate one, then OriginateResponse) into the
 * call's state, and gives everything back (slot, DID use) for a call that never left.
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
    REPORTED
  }

  /**
   * A placed call; {@code accepted} completes with its progress, or exceptionally when it never left.
   * {@code turnIn} is how long the calls ahead of it on its trunk will take at the trunk's rate.
   */
  public record Placed(UUID callId, SelectedDid did, CompletableFuture<Progress> accepted, Duration turnIn) {}

  /** Asterisk answered the originate with an error (e.g. no such extension, permission denied). */
  public static final class OriginateRefusedException extends RuntimeException {
    public OriginateRefusedException(String message) {
      super(message);
    }
  }

  /** A call in this node's hands until Asterisk reports how its originate ended. */
  private static final class Pending {
    final UUID callId;
    final SelectedDid did;
    final String toNumber;
    final long queuedAt = System.nanoTime();
    final CompletableFuture<Progress> accepted = new CompletableFuture<>();
    final AtomicBoolean over = new AtomicBoolean();
    final Map<String, String> variables;
    volatile boolean sent;
    /** when this call, at its turn, first found AMI down (0 = never) */
    long amiDownSince;

    Pending(UUID callId, SelectedDid did, String toNumber, Map<String, String> variables) {
      this.callId = callId;
      this.did = did;
      this.toNumber = toNumber;
      this.variables = variables;
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

  /** Call {@link AmiClient#start(AmiClient.Listener)} with the service afterwards, so AMI answers reach it. */
  OutboundService(OutboundConfig config, Path recordingsDir, AmiClient ami, CallerIdSelector callerIds,
      Admission admission, OutboundCallRepository calls, ComplianceService compliance, MeterRegistry metrics) {
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
   * Places one call. Checks AMI before anything is taken, so a 503 leaves no slot and no DID use behind.
   *
   * @throws UnavailableException AMI down
   * @throws NotFoundException unknown tenant
   * @throws ConflictException tenant disabled or at its limit; the number on the do-not-call list or outside its
   *     calling window (field to_number)
   * @throws InvalidInputException unusable caller ID
   */
  public Placed place(CallRequest request) {
    checkCallerId(request.tenantId(), request.didId(), request.didSegment(), "did_id", "did_segment");
    requireAmi();
    OutboundCallRepository.TenantFacts tenant = calls.tenant(request.tenantId())
        .orElseThrow(() -> new NotFoundException("no tenant " + request.tenantId()));
    if (!tenant.active()) {
      throw new ConflictException("tenant " + tenant.id() + " is disabled");
    }
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
      did = callerIds.select(tenant.id(), request.didId(), request.didSegment(), Optional.of(request.toNumber()),
          Optional.ofNullable(request.leadId()));
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
      variables = variables(callId, tenant, did, request);
      calls.create(new OutboundCallRepository.NewCall(callId, tenant.id(), did, request.toNumber(),
          request.leadId(), request.transferNumber(), request.audioFile(), request.voicemailAction(),
          request.voicemailMessage(), request.journeyRunId(), request.journeyNodeId()));
    } catch (RuntimeException e) {
      callerIds.undo(did);
      admission.release(callId);
      throw e;
    }
    Pending call = new Pending(callId, did, request.toNumber(), variables);
    pending.put(callId, call);
    int ahead = pacer.submit(did.trunk(), new TrunkPacer.Paced() {
      @Override
      public boolean start() {
        return originate(call);
      }

      @Override
      public void abandon() {
        giveBack(call, CallOutcome.SHUTDOWN, new AmiUnavailableException("Asterline is stopping"));
      }
    });
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", callId.toString())) {
      log.info("outbound: call to {} from {} (DID {}, trunk {}) placed, {} waiting before it", request.toNumber(),
          did.number(), did.id(), did.trunk(), ahead);
    }
    Duration turnIn = Duration.ofNanos((long) (ahead * 1e9 / config.cpsFor(did.trunk())));
    return new Placed(callId, did, call.accepted, turnIn);
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
      case REPORTED -> calls.settings(placed.callId()).map(OutboundCallRepository.CallSettings::state)
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
        giveBack(call, CallOutcome.AMI_DOWN, new AmiUnavailableException(ami.unavailableReason()));
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
    a.setChannel("PJSIP/" + call.toNumber + "@" + call.did.trunk());
    a.setContext(CONTEXT);
    a.setExten("s");
    a.setPriority(1);
    a.setCallerId(call.did.number());
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
        giveBack(call, CallOutcome.ORIGINATE_REJECTED, new OriginateRefusedException(
            "Asterisk refused the call: " + response.getMessage()));
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
    if (!call.over.compareAndSet(false, true)) {
      return;
    }
    pending.remove(call.callId);
    try (MDC.MDCCloseable ignored = MDC.putCloseable("callId", call.callId.toString())) {
      log.warn("outbound: call not placed ({}): {}", outcome.dbValue(), why.getMessage());
      countEnded(outcome);
      try {
        try {
          calls.fail(call.callId, outcome);
          callerIds.undo(call.did);
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
  private void countEnded(CallOutcome outcome) {
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
