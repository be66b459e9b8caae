package io.asterline.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.asterline.realtime.RealtimeEvent;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tools the model may call on a phone line: {@code end_call} and {@code transfer_call}. Both end the call
 * once the agent's last words are played; a transfer goes only to the line's own number or one the tenant allows.
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
    if (call.ending() != null) {
      call.send(call.talk.messages.functionOutput(callId, "{\"ok\":false,\"error\":\"the call is already ending\"}"));
      return;
    }
    long now = System.nanoTime();
    if ("end_call".equals(name)) {
      log.info("the agent ends the call");
      call.send(call.talk.messages.functionOutput(callId, "{\"ok\":true}"));
      call.endAfterPlaying(new Ending("hangup", null, "end_call", false, now + TimeUnit.SECONDS.toNanos(10)));
    } else if ("transfer_call".equals(name)) {
      transfer(callId, e.text("arguments"), now);
    } else {
      call.send(call.talk.messages.functionOutput(callId,
          "{\"ok\":false,\"error\":\"there is no tool named " + name + "\"}"));
      call.requestResponse();
    }
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
    call.endAfterPlaying(new Ending("transfer", number, "transfer", false, now + TimeUnit.SECONDS.toNanos(10)));
  }
}
