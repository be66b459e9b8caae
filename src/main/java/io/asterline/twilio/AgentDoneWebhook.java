package io.asterline.twilio;

import io.asterline.call.CallOutcome;
import io.javalin.http.Context;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code POST /twilio/agent-done?callId=...}, the {@code <Connect action>} of an agent call: Twilio asks it when the
 * call's Media Stream ended without the call being redirected (the REST update after the agent failed, or the node
 * holding the stream died). It answers what the update would have carried, so the caller goes on all the same.
 */
final class AgentDoneWebhook {

  private static final Logger log = LoggerFactory.getLogger(AgentDoneWebhook.class);

  private final TwilioWebhooks webhooks;
  private final TwilioCallControl control;
  private final TwilioAnswers answers;

  AgentDoneWebhook(TwilioWebhooks webhooks, TwilioCallControl control, TwilioAnswers answers) {
    this.webhooks = webhooks;
    this.control = control;
    this.answers = answers;
  }

  void handle(Context ctx) {
    webhooks.verify(ctx);
    UUID callId = TwilioRoutes.callId(ctx);
    MDC.put("callId", callId.toString());
    String twiml;
    try {
      TwilioCallControl.Step step = control.afterAgent(callId);
      log.info("twilio: the stream ended without a redirect; answering {} to the Connect action", step.next());
      if (step.next() == TwilioCallControl.Next.END) {
        control.end(control.endAfterAgent(callId, CallOutcome.ANSWER.dbValue(), null));
      }
      twiml = step.twiml();
    } catch (RuntimeException e) {
      log.error("twilio agent-done failed; the caller hears the failure announcement", e);
      twiml = answers.failure();
    } finally {
      MDC.remove("callId");
    }
    TwilioRoutes.twiml(ctx, twiml);
  }
}
