package io.asterline.outbound;

import io.asterline.call.CallState;
import io.asterline.error.InvalidInputException;
import io.asterline.error.RefusedException;
import io.asterline.outbound.JourneyRepository.Journey;
import io.asterline.outbound.JourneyRepository.Node;
import io.asterline.outbound.JourneyValidation.MakeCall;
import io.asterline.outbound.OutboundService.CallRequest;
import io.asterline.outbound.OutboundService.Placed;
import io.asterline.compliance.ComplianceService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Runs a journey for one contact: its MAKE_CALL nodes are placed through the same path as
 * {@code POST /api/outbound/call}, the other node types are skipped (Asterline executes only calls). One node
 * refused (its DID capped, the tenant at its limit) does not stop the others; each node's outcome is reported. A
 * node whose callee is outside the calling window is held for the window's next opening ({@link JourneyScheduler}).
 */
final class JourneyService {

  /** What became of one node of a run. */
  sealed interface Outcome {
    Node node();
  }

  /** Not a node Asterline executes. */
  record Skipped(Node node, String reason) implements Outcome {}

  /** Placed; {@code state} is how far it got while the run waited (as a single call answers it). */
  record Called(Node node, Placed placed, CallRequest request, CallState state) implements Outcome {}

  /** Outside its callee's calling window: held, and placed by the poller when the window opens at {@code at}. */
  record Scheduled(Node node, Instant at) implements Outcome {}

  /** Refused, before it was placed ({@code callId} null) or by Asterisk after. */
  record Refused(Node node, UUID callId, RefusedException error) implements Outcome {}

  /** A stored run and its nodes' outcomes, in node order. */
  record Run(long runId, long journeyId, Long leadId, String toNumber, List<Outcome> nodes) {}

  private final JourneyRepository journeys;
  private final OutboundService service;
  private final JourneyValidation validation;
  private final Duration acceptWait;

  JourneyService(JourneyRepository journeys, OutboundService service, JourneyValidation validation,
      Duration acceptWait) {
    this.journeys = journeys;
    this.service = service;
    this.validation = validation;
    this.acceptWait = acceptWait;
  }

  /**
   * Stores a run of the journey for the number and places its MAKE_CALL nodes.
   *
   * @throws InvalidInputException a bad number or lead id, or a journey without a MAKE_CALL node
   * @throws io.asterline.error.UnavailableException AMI down or this node stopping: nothing is stored then
   */
  Run run(Journey j, Long leadId, String toNumber) {
    String to = CallFields.number("to_number", toNumber, true);
    Long lead = CallFields.leadId("lead_id", leadId);
    List<Node> nodes = j.nodes();
    if (nodes.stream().noneMatch(n -> n.type().equals(JourneyValidation.MAKE_CALL))) {
      throw new InvalidInputException("journey", "journey " + j.id() + " has no MAKE_CALL node to run");
    }
    // before the run is stored: a run while the lead's provider is down leaves nothing behind, as a single call does
    service.requireCarrier(j.tenantId(), lead, to);
    long runId = journeys.createRun(j.id(), j.tenantId(), lead, to);
    List<Outcome> outcomes = new ArrayList<>();
    List<Integer> placedAt = new ArrayList<>();
    for (Node n : nodes) {
      if (!n.type().equals(JourneyValidation.MAKE_CALL)) {
        outcomes.add(new Skipped(n, "only MAKE_CALL nodes are executed by Asterline"));
        continue;
      }
      try {
        MakeCall cfg = validation.makeCall("node " + n.id() + " config.", validation.read(n.config()));
        CallRequest request = new CallRequest(j.tenantId(), to, lead, cfg.didId(), cfg.didSegment(),
            cfg.transferNumber(), cfg.audioFile(), cfg.voicemailAction(), cfg.voicemailMessage(), runId, n.id());
        if (service.compliance().check(j.tenantId(), runId, to) instanceof ComplianceService.OutsideWindow w
            && w.opensAt().isPresent()) {
          // never placed outside the window: held in the database until it opens (JourneyScheduler places it)
          journeys.schedule(runId, n.id(), j.tenantId(), w.opensAt().get());
          outcomes.add(new Scheduled(n, w.opensAt().get()));
          continue;
        }
        Placed placed = service.place(request);
        placedAt.add(outcomes.size());
        outcomes.add(new Called(n, placed, request, null));
      } catch (RefusedException e) {
        outcomes.add(new Refused(n, null, e));
      }
    }
    // the calls ring in parallel: one wait for all of them, as long as a single call's
    long deadline = System.nanoTime() + acceptWait.toNanos();
    for (int i : placedAt) {
      Called c = (Called) outcomes.get(i);
      try {
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        outcomes.set(i, new Called(c.node(), c.placed(), c.request(),
            service.state(c.placed(), OutboundService.await(c.placed(), left))));
      } catch (RefusedException e) {
        outcomes.set(i, new Refused(c.node(), c.placed().callId(), e));
      }
    }
    return new Run(runId, j.id(), lead, to, List.copyOf(outcomes));
  }
}
