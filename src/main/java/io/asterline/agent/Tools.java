package io.asterline.agent;

import io.asterline.call.Decision;
import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.realtime.RealtimeEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools the model may call on a phone line: {@code end_call} and {@code transfer_call}. Both end the call
 * once the agent's last words are played; a transfer goes only to the line's own number or one the tenant allows.
 * {@code opt_out} puts the other party's number on the tenant's do-not-call list at once (even while the call is
 * ending: the request stands whatever the call does next) and lets the agent confirm it.
 */
final class Tools {

  private static final Logger log = LoggerFactory.getLogger(Tools.class);

  private final AgentCall call;

  Tools(AgentCall call) {
    this.call = call;
  }

  void onToolCall(RealtimeEvent e) {
    String name = e.text("name");
    String callId = e.text("call_id");
    call.events.toolCall(name, e.text("arguments"));
    if ("opt_out".equals(name)) {
      optOut(callId);
      return;
    }
    if (call.ending() != null) {
      call.send(call.talk.messages.functionOutput(callId, "{\"ok\":false,\"error\":\"the call is already ending\"}"));
      return;
    }
    long now = System.nanoTime();
    if ("end_call".equals(name)) {
      log.info("the agent ends the call");
      call.send(call.talk.messages.functionOutput(callId, "{\"ok\":true}"));
      call.endAfterPlaying(new Ending(Decision.HANGUP, null, "end_call", false, now + TimeUnit.SECONDS.toNanos(10)));
    } else if ("transfer_call".equals(name)) {
      transfer(callId, e.text("arguments"), now);
    } else {
      call.send(call.talk.messages.functionOutput(callId,
          "{\"ok\":false,\"error\":\"there is no tool named " + name + "\"}"));
      call.requestResponse();
    }
  }

  /**
   * One atomic insert on the database executor (never on the call's event loop); the model hears the result when
   * it is stored, so it confirms only what really happened.
   */
  private void optOut(String toolCallId) {
    java.util.UUID id = call.settings.callId();
    CompletableFuture<java.util.Optional<String>> stored;
    try {
      stored = CompletableFuture.supplyAsync(() -> call.talk.optOuts.optOut(id), call.talk.db);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // this node is stopping: the model still gets an answer, never silence
      stored = CompletableFuture.failedFuture(e);
    }
    stored.whenComplete((number, error) ->
        call.schedule(() -> {
          String output;
          if (error != null) {
            log.error("opt_out: storing the do-not-call entry failed", error);
            output = "{\"ok\":false,\"error\":\"the number could not be stored; apologise and tell them it will "
                + "be removed by a person\"}";
          } else if (number.isEmpty()) {
            log.warn("opt_out: the call has no full number to suppress (withheld or not E.164)");
            output = "{\"ok\":false,\"error\":\"their number is withheld or incomplete, so it cannot be put on "
                + "the list; tell them a person will follow up\"}";
          } else {
            log.info("opt_out: {} is on the do-not-call list", number.get());
            output = "{\"ok\":true,\"suppressed\":\"" + number.get() + "\"}";
          }
          call.send(call.talk.messages.functionOutput(toolCallId, output));
          if (call.ending() == null) {
            call.requestResponse();
          }
        }, 0));
  }

  private void transfer(String callId, String arguments, long now) {
    CallSettings settings = call.settings;
    String asked = null;
    try {
      JsonNode args = call.talk.json.readTree(arguments == null || arguments.isBlank() ? "{}" : arguments);
      asked = args.path("number").asText("").replaceAll("[\\s()-]", "");
    } catch (java.io.IOException e) {
      log.debug("transfer_call arguments are not JSON: {}", e.getMessage());
    }
    String number = asked == null || asked.isEmpty() ? settings.transferNumber().orElse(null) : asked;
    String error = null;
    if (number == null) {
      error = "no transfer number is configured for this line; offer the caller other help";
    } else if (!settings.mayTransferTo(number)) {
      error = "transfers to " + number + " are not allowed; omit the number to reach the default human line";
    }
    if (error != null) {
      log.info("transfer_call refused: {}", error);
      call.send(call.talk.messages.functionOutput(callId,
          call.talk.json.createObjectNode().put("ok", false).put("error", error).toString()));
      call.requestResponse();
      return;
    }
    log.info("the agent transfers the call to {}", number);
    call.send(call.talk.messages.functionOutput(callId, "{\"ok\":true}"));
    call.endAfterPlaying(new Ending(Decision.TRANSFER, number, "transfer", false, now + TimeUnit.SECONDS.toNanos(10)));
  }
}
