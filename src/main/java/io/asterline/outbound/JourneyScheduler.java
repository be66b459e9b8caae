package io.asterline.outbound;

import io.asterline.compliance.ComplianceService;
import io.asterline.error.RefusedException;
import io.asterline.error.UnavailableException;
import io.asterline.outbound.JourneyRepository.Node;
import io.asterline.outbound.JourneyRepository.ScheduledCall;
import io.asterline.outbound.JourneyValidation.MakeCall;
import io.asterline.outbound.OutboundService.CallRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Places the journey calls held for their calling window's opening: every {@code every} it claims the due ones (one
 * atomic statement, so two nodes never place the same call) and places each through the ordinary path, which checks
 * the do-not-call list and the window again. A call whose window closed again is held for the next opening; one that
 * finds AMI down waits a little; any other refusal is stored with its reason.
 */
final class JourneyScheduler implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(JourneyScheduler.class);
  private static final int BATCH = 50;
  static final Duration UNAVAILABLE_RETRY = Duration.ofSeconds(30);

  private final JourneyRepository journeys;
  private final OutboundService service;
  private final JourneyValidation validation;
  private final ScheduledThreadPoolExecutor timer;

  JourneyScheduler(JourneyRepository journeys, OutboundService service, JourneyValidation validation, Duration every) {
    this.journeys = journeys;
    this.service = service;
    this.validation = validation;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "journey-scheduler");
      t.setDaemon(true);
      return t;
    });
    timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    timer.scheduleWithFixedDelay(this::poll, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void poll() {
    try {
      pollNow();
    } catch (RuntimeException e) {
      log.warn("journeys: placing scheduled calls failed: {}", e.toString());
    }
  }

  /** Places the calls due now; returns how many were claimed. */
  synchronized int pollNow() {
    Instant now = service.compliance().clock().instant();
    List<ScheduledCall> due = journeys.claimDue(now, BATCH);
    for (ScheduledCall c : due) {
      place(c, now);
    }
    return due.size();
  }

  private void place(ScheduledCall c, Instant now) {
    try {
      Optional<Node> node = journeys.node(c.journeyId(), c.nodeId());
      if (node.isEmpty()) {
        journeys.scheduledDone(c.id(), null, "the node was deleted before its call was due");
        return;
      }
      if (service.compliance().check(c.tenantId(), c.runId(), c.toNumber())
          instanceof ComplianceService.OutsideWindow w && w.opensAt().isPresent()) {
        journeys.reschedule(c.id(), w.opensAt().get());
        return;
      }
      MakeCall cfg = validation.makeCall("node " + c.nodeId() + " config.", validation.read(node.get().config()));
      CallRequest request = new CallRequest(c.tenantId(), c.toNumber(), c.leadId(), cfg.didId(), cfg.didSegment(),
          cfg.transferNumber(), cfg.audioFile(), cfg.voicemailAction(), cfg.voicemailMessage(), c.runId(), c.nodeId());
      OutboundService.Placed placed = service.place(request);
      journeys.scheduledDone(c.id(), placed.callId(), null);
      log.info("journeys: scheduled call of run {} node {} placed as {}", c.runId(), c.nodeId(), placed.callId());
    } catch (UnavailableException e) {
      journeys.reschedule(c.id(), now.plus(UNAVAILABLE_RETRY));
    } catch (RefusedException e) {
      log.info("journeys: scheduled call of run {} node {} refused: {}", c.runId(), c.nodeId(), e.getMessage());
      journeys.scheduledDone(c.id(), null, e.getMessage());
    } catch (RuntimeException e) {
      // claimed but not placed: back to wait, so it is not lost
      journeys.reschedule(c.id(), now.plus(UNAVAILABLE_RETRY));
      throw e;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
